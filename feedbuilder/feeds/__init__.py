"""Feeds: plan which posts each feed holds (plan), and render them (render: RSS 2.0 and Atom
1.0 with feedgen, decorate; jsonfeed: JSON Feed 1.1; formats: the registry of both).

Import the modules themselves: this package imports nothing, so JSON-only callers never load
feedgen.
"""
