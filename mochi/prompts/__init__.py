"""Review prompts: Jinja templates (templates/) and their renderer (render.py)."""
