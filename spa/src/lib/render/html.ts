// The only HTML the app inserts is a message's server-rendered, server-sanitized body_html (D9).
// It is sanitized once more here (defence in depth): no scripts, no event handlers, no styles,
// no forms or frames, links only to http(s)/mailto, and links open in a new tab without a
// referrer or opener.  Every other user string is rendered as text by Svelte.
import DOMPurify from 'dompurify';

let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!/^(?:https?:|mailto:)/i.test(href)) node.removeAttribute('href');
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow ugc');
    }
  });
}

export function sanitizeBodyHtml(html: string): string {
  hook();
  return DOMPurify.sanitize(html, {
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    FORBID_TAGS: ['style', 'script', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'link', 'meta', 'base', 'svg', 'math'],
    FORBID_ATTR: ['style', 'srcset', 'formaction', 'action'],
    ALLOW_DATA_ATTR: false,
  });
}
