import { checkTarget, isLoopbackHost, pathPrefix, TargetError } from '../../server/loadtest/target';

describe('isLoopbackHost', () => {
  it('knows the loopback names and addresses, and nothing else', () => {
    const loopback = ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1'];
    const elsewhere = ['127.0.0.256', '128.0.0.1', '10.0.0.5', '192.168.1.10', '0.0.0.0', 'localhost.example.org'];
    expect(loopback.filter((h) => !isLoopbackHost(h))).toEqual([]);
    expect([...elsewhere, '127.0.0.1.example.org'].filter(isLoopbackHost)).toEqual([]);
  });
});

describe('checkTarget', () => {
  it('accepts loopback http(s) URLs', () => {
    expect(checkTarget('url', 'http://127.0.0.1:3000', false).port).toBe('3000');
    expect(checkTarget('url', 'https://[::1]:8443/x', false).hostname).toBe('[::1]');
  });

  it.each([
    ['http://10.0.0.5:3000', false, /not loopback: pass --allow-remote/],
    ['ftp://127.0.0.1/', false, /must be http or https/],
    ['not a url', false, /is not a URL/],
  ])('refuses %s', (raw, allowRemote, message) => {
    expect(() => checkTarget('url', raw, allowRemote)).toThrow(TargetError);
    expect(() => checkTarget('url', raw, allowRemote)).toThrow(message);
  });

  it('takes another host only when allowed', () => {
    expect(checkTarget('url', 'http://10.0.0.5:3000', true).hostname).toBe('10.0.0.5');
  });
});

describe('pathPrefix', () => {
  it('is the path without its trailing slash, empty at the root', () => {
    const urls = ['http://127.0.0.1:3000', 'http://127.0.0.1:3000/', 'http://127.0.0.1:3000/aquifer/'];
    expect(urls.map((u) => pathPrefix(new URL(u)))).toEqual(['', '', '/aquifer']);
  });
});
