"""Feeds: plan which posts each feed holds, and render RSS 2.0 and Atom 1.0."""

from .plan import dedupe, plan_feeds
from .render import FORMATS, feed_path, render

__all__ = ["FORMATS", "dedupe", "feed_path", "plan_feeds", "render"]
