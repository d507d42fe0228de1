"""Production operations: request ids, structured logs, metrics, rate limits, cache
instrumentation and error tracking. Cross-cutting, so kept out of the business apps."""
