import { describe, expect, it } from 'vitest';
import { ApiError } from './client';
import { startUpload } from './uploads';

class FakeXhr {
  static last: FakeXhr;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  withCredentials = false;
  responseType = '';
  status = 0;
  statusText = '';
  responseText = '';
  body: unknown = null;
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.onabort?.();
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const file = new File(['hello'], 'a.txt', { type: 'text/plain' });
const xhr = () => new FakeXhr() as unknown as XMLHttpRequest;

describe('startUpload', () => {
  it('posts the file with the CSRF header and credentials, reports progress, returns the upload', async () => {
    const seen: number[] = [];
    const h = startUpload({ workspaceId: 'wsp_1', file, nonce: 'n1', xhr, onprogress: (l, t) => seen.push(l / t) });
    const x = FakeXhr.last;
    expect(x.method).toBe('POST');
    expect(x.url).toBe('/api/uploads?workspace_id=wsp_1&nonce=n1');
    expect(x.headers['X-ClickClack-CSRF']).toBe('1');
    expect(x.withCredentials).toBe(true);
    expect((x.body as FormData).get('file')).toBeInstanceOf(File);
    x.upload.onprogress?.({ lengthComputable: true, loaded: 2, total: 4 } as ProgressEvent);
    x.answer(201, { upload: { id: 'upl_1', filename: 'a.txt' } });
    await expect(h.done).resolves.toMatchObject({ id: 'upl_1' });
    expect(seen).toEqual([0.5]);
  });

  it('turns problem+json into ApiError, and abort into a cancelled error', async () => {
    const h = startUpload({ workspaceId: 'wsp_1', file, nonce: 'n2', xhr });
    FakeXhr.last.answer(413, { code: 'upload_too_large', detail: 'too big', error: 'too big' });
    await expect(h.done).rejects.toMatchObject({ status: 413, code: 'upload_too_large', message: 'too big' });
    const h2 = startUpload({ workspaceId: 'wsp_1', file, nonce: 'n3', xhr });
    h2.abort();
    const err = await h2.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('aborted');
  });
});
