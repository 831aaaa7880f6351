"""The M&E rules: calendar, flags, indicators, forecasts, what changed, status. Pure."""
