"""suivi: monitoring & evaluation that runs by itself."""
