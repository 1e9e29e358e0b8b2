/**
 * Where the load test may send traffic. Loopback only unless the operator says
 * otherwise: a load test is an attack on anything it was not meant for.
 */

/** 127.0.0.0/8, ::1 and localhost: addresses that cannot leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

export class TargetError extends Error {}

/** Parses a target URL (http or https only) and refuses anything off this machine unless `allowRemote`. */
export function checkTarget(option: string, raw: string, allowRemote: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError(`--${option} is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetError(`--${option} must be http or https, got "${url.protocol}"`);
  }
  if (!allowRemote && !isLoopbackHost(url.hostname)) {
    throw new TargetError(
      `--${option} names ${url.hostname}, which is not loopback: pass --allow-remote to load-test another host`,
    );
  }
  return url;
}

/** The URL's path without a trailing slash: prefixed to every request, for an API mounted below a proxy path. */
export const pathPrefix = (url: URL): string => url.pathname.replace(/\/+$/, '');
