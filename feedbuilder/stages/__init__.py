"""A build's stages, one module each, in the order :func:`feedbuilder.pipeline.build` runs them:

- :mod:`.listing`: list the post files (a missing posts folder stops here);
- :mod:`.scan`: read every post's front matter, or take it from the cache;
- plan (:mod:`feedbuilder.feeds.plan`): decide the feeds and their newest posts;
- :mod:`.bodies`: read and clean the bodies of the posts that land in a feed;
- :mod:`.render`: each feed, and the site files, as bytes (``check`` stops here);
- :mod:`.write`: the bytes into the output dir, unchanged files left alone;
- :mod:`.remember`: what the next build may skip, into the cache.

Each stage shows as a progress bar and a ``--verbose`` timing (:mod:`feedbuilder.progress`);
what may be skipped is decided in :mod:`feedbuilder.incremental`, and big passes run through
:mod:`feedbuilder.pool`.
"""
