import type { Plugin } from 'vite';

/**
 * What every page the gateway serves (the console, the explorer) puts in its head, kept here
 * once rather than in each index.html: a phone-width viewport, and no Referer sent with any
 * request or link from the page, so a page's address never leaves with it.
 */
export function pageHead(): Plugin {
  return {
    name: 'car-check-page-head',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1.0' },
        injectTo: 'head-prepend',
      },
      { tag: 'meta', attrs: { name: 'referrer', content: 'no-referrer' }, injectTo: 'head-prepend' },
    ],
  };
}
