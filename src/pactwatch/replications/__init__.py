"""Replications of published analyses, each printing our figure beside the published one."""
