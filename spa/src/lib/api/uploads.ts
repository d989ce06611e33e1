// File uploads with progress.  fetch() reports no upload progress, so this one call uses
// XMLHttpRequest, with the same conventions as client.ts: same-origin credentials, the CSRF
// header, problem+json errors as ApiError.  Idempotent by client nonce (a retry with the same
// nonce returns the same upload).
import { ApiError, CSRF_HEADER, type Upload } from './client';

export interface UploadHandle {
  /** Resolves with the stored upload; rejects with ApiError (status 0 when aborted/offline). */
  done: Promise<Upload>;
  abort(): void;
}

export interface UploadOptions {
  workspaceId: string;
  file: File;
  nonce: string;
  onprogress?: (loaded: number, total: number) => void;
  /** For tests: a stand-in for XMLHttpRequest. */
  xhr?: () => XMLHttpRequest;
  baseUrl?: string;
}

export function uploadUrl(uploadId: string): string {
  return `/api/uploads/${encodeURIComponent(uploadId)}`;
}

export function thumbnailUrl(uploadId: string): string {
  return `/api/uploads/${encodeURIComponent(uploadId)}/thumbnail`;
}

export function startUpload(o: UploadOptions): UploadHandle {
  const xhr = o.xhr ? o.xhr() : new XMLHttpRequest();
  const q = new URLSearchParams({ workspace_id: o.workspaceId, nonce: o.nonce });
  const done = new Promise<Upload>((resolve, reject) => {
    xhr.open('POST', `${o.baseUrl ?? ''}/api/uploads?${q.toString()}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader(CSRF_HEADER, '1');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e: ProgressEvent) => {
      if (e.lengthComputable) o.onprogress?.(e.loaded, e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === 'object' && 'upload' in body) {
        resolve((body as { upload: Upload }).upload);
        return;
      }
      reject(ApiError.fromResponse({ status: xhr.status, statusText: xhr.statusText } as Response, body));
    };
    xhr.onerror = () => reject(ApiError.network(new Error('upload failed')));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
    const form = new FormData();
    form.append('workspace_id', o.workspaceId);
    form.append('file', o.file, o.file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
