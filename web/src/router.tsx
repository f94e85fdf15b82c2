import { useSyncExternalStore, type AnchorHTMLAttributes, type ReactNode } from 'react';

/**
 * A hash router, so dist/ can be served by any static server (or the gateway)
 * without rewrites: `#/cars?brand=Renault`, `#/cars/<id>`, `#/cost-centers/<code>`.
 */
export interface Route {
  /** Decoded path segments: `#/cars/abc` -> ['cars', 'abc']. */
  segments: string[];
  query: URLSearchParams;
}

/** What renders the route: told by navigate() at once, and by the browser's hashchange otherwise. */
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('hashchange', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('hashchange', listener);
  };
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  return {
    segments: path
      .split('/')
      .filter(Boolean)
      .map((segment) => decodeURIComponent(segment)),
    query: new URLSearchParams(search),
  };
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

/**
 * Goes to `path` with `query`. The page renders the new route before the next input event: the
 * browser's hashchange comes later, as a task of its own, and a second click before it (two
 * checkboxes ticked quickly) would build its address from the route before the first click's.
 */
export function navigate(path: string, query?: Record<string, string | undefined>): void {
  window.location.hash = href(path, query);
  for (const listener of listeners) listener();
}

export function Link({
  to,
  query,
  children,
  ...rest
}: {
  to: string;
  query?: Record<string, string | undefined>;
  children: ReactNode;
} & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return (
    <a href={href(to, query)} {...rest}>
      {children}
    </a>
  );
}
