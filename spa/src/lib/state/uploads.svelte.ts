// The files waiting in a composer: each uploads at once (with progress), can be cancelled or
// removed, and the message is sent with the finished ones.
import type { Upload } from '../api/client';
import type { UploadHandle } from '../api/uploads';

export interface UploadItem {
  key: string;
  name: string;
  size: number;
  /** 0..1 */
  progress: number;
  status: 'uploading' | 'done' | 'failed';
  error?: string;
  upload?: Upload;
}

export type Starter = (file: File, nonce: string, onprogress: (loaded: number, total: number) => void) => UploadHandle;

let counter = 0;

export class UploadQueue {
  items = $state.raw<UploadItem[]>([]);
  #handles = new Map<string, UploadHandle>();
  #start: Starter;

  constructor(start: Starter) {
    this.#start = start;
  }

  get busy(): boolean {
    return this.items.some((i) => i.status === 'uploading');
  }

  get ready(): { id: string; filename: string }[] {
    return this.items.flatMap((i) => (i.status === 'done' && i.upload ? [{ id: i.upload.id, filename: i.upload.filename }] : []));
  }

  add(files: Iterable<File>): void {
    for (const file of files) {
      const key = `up_${Date.now().toString(36)}_${(counter++).toString(36)}`;
      this.items = [...this.items, { key, name: file.name, size: file.size, progress: 0, status: 'uploading' }];
      const handle = this.#start(file, `web_${key}_${Math.random().toString(36).slice(2)}`, (loaded, total) =>
        this.#patch(key, { progress: total > 0 ? loaded / total : 0 }),
      );
      this.#handles.set(key, handle);
      handle.done.then(
        (upload) => this.#patch(key, { status: 'done', progress: 1, upload }),
        (err: unknown) => {
          if (err instanceof Error && 'code' in err && (err as { code: string }).code === 'aborted') return;
          this.#patch(key, { status: 'failed', error: err instanceof Error ? err.message : 'Upload failed.' });
        },
      ).finally(() => this.#handles.delete(key));
    }
  }

  /** Cancel an upload in flight, or drop a finished/failed one from the message. */
  remove(key: string): void {
    this.#handles.get(key)?.abort();
    this.#handles.delete(key);
    this.items = this.items.filter((i) => i.key !== key);
  }

  clear(): void {
    for (const h of this.#handles.values()) h.abort();
    this.#handles.clear();
    this.items = [];
  }

  #patch(key: string, change: Partial<UploadItem>): void {
    if (!this.items.some((i) => i.key === key)) return;
    this.items = this.items.map((i) => (i.key === key ? { ...i, ...change } : i));
  }
}
