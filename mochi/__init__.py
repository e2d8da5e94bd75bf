"""Sonar-Mochi: an AI code reviewer for your own infrastructure."""

__version__ = "0.1.0"
