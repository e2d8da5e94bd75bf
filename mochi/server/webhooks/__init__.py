"""Webhook deliveries from a GitHub App and from GitLab, for `mochi serve` (issue 15).

events.py   a delivery's payload -> ChangeEvent (a change to review) or Ignored (why not)
verify.py   X-Hub-Signature-256 (HMAC-SHA256 of the raw body) and X-Gitlab-Token checks

The route verifies first, then parses; nothing here reads the environment or does I/O.
"""
