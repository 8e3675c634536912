import { useEffect, useState } from 'preact/hooks';

/** History-API routing under /console/: links stay real links (open in a new tab, keyboard, screen readers). */
export const BASE = '/console/';

export function navigate(to: string): void {
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return path;
}

/** Follows a same-console link without a page load; any other click (new tab, modifier keys) is the browser's. */
export function onLinkClick(event: MouseEvent): void {
  const link = (event.target as Element | null)?.closest('a');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE) || link.target) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}
