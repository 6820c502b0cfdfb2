"""What Lookaloud keeps on disk between runs: the description cache (``cache``), the history of
recent results (``history``) and the JSON-lines request log with its metrics (``logs``)."""
