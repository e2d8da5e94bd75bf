"""`mochi serve`: the review record as a REST API (FastAPI on uvicorn).

app.py        create_app(engine, ...): the application, its middleware and its routes
envelope.py   the response envelope and the one mapping of errors to statuses and codes
auth.py       `Authorization: Bearer <key>` against api_keys, and the role a route needs
limits.py     the request body cap (413)
metrics.py    Prometheus metrics: HTTP requests, their durations, reviews by status
routes/       one module per resource: health, reviews, models, templates, integrations, keys

Only `mochi.commands.serve` imports this package (FastAPI is the `server` extra), and nothing in
it reads the environment: the command passes the engine, the cipher and the limits in.
"""
