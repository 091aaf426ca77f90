/* Slack mrkdwn -> HTML, following Slack's rules (https://api.slack.com/reference/surfaces/formatting):
   *bold*, _italic_, ~strike~ open after the start of text or a character that is not a letter or digit,
   hold no newline and no marker of their own, do not start or end with a space, and close before
   the end of text or a character that is not a letter or digit (so `**bold**` is `*` + bold + `*`,
   `snake_case_name` and `2 * 3 * 4` stay text). `code` and ```pre``` show their text verbatim.
   > quotes a line, >>> the rest of the message. <url|text>, <@U..>, <#C..|name>, <!subteam^S..>,
   <!here>, <!date^..|fallback>; :emoji: shortcodes (with ::skin-tone-N::) from the table the page
   loads (iamcal's emoji-data, Slack's own). Exposed as window.Mrkdwn. */
(function () {
  "use strict";

  function esc(s) {
    return String(s)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  // Slack escapes &, <, > in message text; undo that before escaping for HTML.
  function unent(s) {
    return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function safeUrl(url) {
    return /^(https?:|mailto:|tel:)/i.test(url) ? url : null;
  }

  function special(target, label, lookup) {
    var parts = target.slice(1).split("^");
    var name = parts[0];
    if (name === "subteam") {
      var id = parts[1] || "";
      var handle = label || (lookup.subteam && lookup.subteam(id)) || id;
      if (handle.charAt(0) !== "@") handle = "@" + handle;
      return '<span class="mention group" data-subteam="' + esc(id) + '">' + esc(handle) + "</span>";
    }
    if (name === "date") {
      // <!date^epoch^format|fallback>: Slack formats it in the reader's zone; the fallback is its stated text.
      var when = new Date(parseInt(parts[1], 10) * 1000);
      return esc(label || (isNaN(when.getTime()) ? "" : when.toLocaleString()));
    }
    return '<span class="mention">@' + esc(label || name) + "</span>";
  }

  function token(t, lookup) {
    var bar = t.indexOf("|");
    var target = bar >= 0 ? t.slice(0, bar) : t;
    var label = bar >= 0 ? unent(t.slice(bar + 1)) : "";
    if (target[0] === "@") {
      var id = target.slice(1);
      var name = label || (lookup.user && lookup.user(id)) || id;
      return '<span class="mention" data-user="' + esc(id) + '">@' + esc(name) + "</span>";
    }
    if (target[0] === "#") {
      var cid = target.slice(1);
      var cname = label || (lookup.channel && lookup.channel(cid)) || cid;
      return '<span class="mention channel">#' + esc(cname) + "</span>";
    }
    if (target[0] === "!") return special(target, label, lookup);
    var url = safeUrl(unent(target));
    if (!url) return esc("<" + unent(t) + ">"); // not a link Slack would make: show it as typed
    return '<a href="' + esc(url) + '" target="_blank" rel="noopener noreferrer">' + esc(label || url) + "</a>";
  }

  /* The page's emoji lookup over the table GET /ui/emoji serves: {names: {name: char}, skin: {name: [5 chars]}}. */
  function emojiLookup(table) {
    var names = (table && table.names) || {};
    var skin = (table && table.skin) || {};
    var has = Object.prototype.hasOwnProperty;
    return function (name, tone) {
      if (!has.call(names, name)) return null;
      if (tone) return has.call(skin, name) ? skin[name][tone - 2] : null;
      return names[name];
    };
  }

  // :name: and :name::skin-tone-N: -> the emoji; unknown names stay as typed, as in Slack.
  function emojize(s, lookup, wrap) {
    var find = lookup.emoji;
    if (!find) return s;
    return s.replace(/:([a-z0-9_+'\-]+):(?::skin-tone-([2-6]):)?/g, function (all, name, tone) {
      var ch = find(name, tone ? +tone : 0);
      if (ch != null) return wrap(ch);
      var base = find(name, 0);
      if (base == null) return all;
      return wrap(base) + (tone ? wrap(find("skin-tone-" + tone, 0) || "") : "");
    });
  }

  // Private-use characters stand for the tags while the text is still raw (they are not letters or digits).
  var OPEN = { "*": "\uE000", _: "\uE002", "~": "\uE004" };
  var TAGS = { "\uE000": "<b>", "\uE001": "</b>", "\uE002": "<i>", "\uE003": "</i>", "\uE004": "<s>", "\uE005": "</s>" };
  var QUOTE_OPEN = "\uE006";
  var QUOTE_CLOSE = "\uE007";

  function emphasis(s, mark) {
    var m = mark === "*" ? "\\*" : mark;
    var re = new RegExp(
      "(?<![\\p{L}\\p{N}])" + m + "(?=[^\\s" + m + "])([^" + m + "\\n]*?[^\\s" + m + "])" + m + "(?![\\p{L}\\p{N}])",
      "gu"
    );
    var open = OPEN[mark];
    var close = String.fromCharCode(open.charCodeAt(0) + 1);
    return s.replace(re, function (_, body) {
      return open + body + close;
    });
  }

  function quotes(s) {
    var rest = /(^|\n)>>>[ \t]?([\s\S]*)$/.exec(s);
    var tail = "";
    if (rest) {
      tail = QUOTE_OPEN + rest[2] + QUOTE_CLOSE;
      s = s.slice(0, rest.index + rest[1].length);
    }
    s = s.replace(/^>[ \t]?(.*)(\n|$)/gm, function (_, line) {
      return QUOTE_OPEN + line + QUOTE_CLOSE;
    });
    return s + tail;
  }

  function mrkdwn(src, lookup) {
    lookup = lookup || {};
    var slots = [];
    function hold(html) {
      slots.push(html);
      return "\u0000" + (slots.length - 1) + "\u0000";
    }
    var s = String(src == null ? "" : src);
    s = s.replace(/```([\s\S]*?)```/g, function (_, c) {
      return hold("<pre>" + esc(unent(c.replace(/^\n/, ""))) + "</pre>");
    });
    s = s.replace(/`([^`\n]+)`/g, function (_, c) {
      return hold("<code>" + esc(unent(c)) + "</code>");
    });
    s = s.replace(/<([^<>\s][^<>]*)>/g, function (_, t) {
      return hold(token(t, lookup));
    });
    s = emojize(s, lookup, function (ch) {
      return hold(esc(ch));
    });
    s = unent(s);
    s = emphasis(emphasis(emphasis(s, "*"), "_"), "~");
    s = quotes(s);
    s = esc(s).replace(/[\uE000-\uE005]/g, function (c) {
      return TAGS[c];
    });
    s = s.split(QUOTE_OPEN).join("<blockquote>").split(QUOTE_CLOSE).join("</blockquote>");
    s = s.replace(/\n/g, "<br>");
    return s.replace(/\u0000(\d+)\u0000/g, function (_, i) {
      return slots[+i];
    });
  }

  /* A plain_text object: no formatting, but emoji shortcodes render unless it says "emoji": false. */
  function plain(src, lookup, emoji) {
    var s = src == null ? "" : String(src);
    if (lookup && emoji !== false) {
      s = emojize(s, lookup, function (ch) {
        return ch;
      });
    }
    return esc(s).replace(/\n/g, "<br>");
  }

  window.Mrkdwn = { mrkdwn: mrkdwn, plain: plain, esc: esc, emojiLookup: emojiLookup };
})();
