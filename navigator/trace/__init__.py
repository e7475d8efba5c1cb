"""Static and live call tracing: queries (static), the live tracer (live, driver), rendering (render)."""
