"""The job's steps, composed from the core and the adapters, without Prefect. Shell."""
