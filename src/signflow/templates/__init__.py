"""Workflow templates: save a package's workflow as a named, versioned template; list,
read, rename and delete templates; apply one to a package or make a package from one."""
