<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS 2.0 or Atom 1.0 feed opened in a browser as a readable page.
     Feed readers ignore it: they get the same feed bytes. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:media="http://search.yahoo.com/mrss/"
    exclude-result-prefixes="atom media">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="rss/channel/title | atom:feed/atom:title"/>
    <xsl:variable name="self" select="(rss/channel/atom:link | atom:feed/atom:link)[@rel='self']/@href"/>
    <html>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <style>
          :root { color-scheme: light dark; --muted: #6b7280; --line: #e5e7eb; }
          body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif;
                 margin: 0 auto; max-width: 48rem; padding: 1.5rem 1rem 3rem; }
          h1 { font-size: 1.5rem; margin: 0; }
          .about { background: rgba(194, 65, 12, .08); border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }
          .about code { word-break: break-all; user-select: all; }
          ol { list-style: none; padding: 0; }
          li.item { display: flex; gap: 1rem; padding: .9rem 0; border-top: 1px solid var(--line); }
          li.item img { width: 7rem; height: 5rem; object-fit: cover; border-radius: .25rem; flex: none; }
          li.item h2 { font-size: 1.05rem; margin: 0; }
          .date { color: var(--muted); font-size: .85rem; }
          .summary { margin: .25rem 0 0; }
          @media (max-width: 32rem) { li.item { flex-direction: column; } li.item img { width: 100%; height: auto; } }
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="$title"/></h1>
        <p class="date"><xsl:value-of select="rss/channel/description | atom:feed/atom:subtitle"/></p>
        <div class="about">
          <strong>This is a web feed.</strong>
          Subscribe by copying this address into your feed reader:
          <code class="feed-url"><xsl:value-of select="$self"/></code>
        </div>
        <ol>
          <xsl:apply-templates select="rss/channel/item | atom:feed/atom:entry"/>
        </ol>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item | atom:entry">
    <xsl:variable name="thumb" select="media:thumbnail/@url"/>
    <xsl:variable name="link" select="link | atom:link[@rel='alternate']/@href"/>
    <li class="item">
      <xsl:if test="$thumb">
        <img class="thumb" src="{$thumb}" alt="" loading="lazy"/>
      </xsl:if>
      <div>
        <h2><a href="{$link}"><xsl:value-of select="title | atom:title"/></a></h2>
        <div class="date">
          <xsl:value-of select="pubDate"/>
          <xsl:value-of select="translate(substring(atom:published, 1, 16), 'T', ' ')"/>
        </div>
        <p class="summary"><xsl:value-of select="description | atom:summary"/></p>
      </div>
    </li>
  </xsl:template>
</xsl:stylesheet>
