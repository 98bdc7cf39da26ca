"""Events and jobs written with the change that causes them, run by the worker after commit."""
