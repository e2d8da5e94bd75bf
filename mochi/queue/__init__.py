"""Review jobs on a PostgreSQL-backed task queue (procrastinate), served by `mochi worker`.

A webhook delivery (mochi.server.routes.webhooks) becomes a job in the record's PostgreSQL
database; any number of `mochi worker` processes, on any number of machines, take jobs with
`SELECT ... FOR UPDATE SKIP LOCKED` and hear of new ones through LISTEN/NOTIFY. A job reviews one
pull or merge request at its current head (mochi.queue.tasks). With the embedded SQLite record
there is no queue: `mochi serve` runs the jobs in its own process (mochi.server.jobs) and says so.
"""
