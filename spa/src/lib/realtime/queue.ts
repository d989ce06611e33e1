// A bounded FIFO for realtime events waiting to be applied.  push() refuses an item when the
// queue is full; the connection then drops the socket and reconnects from its last checkpoint,
// so memory stays bounded and nothing is lost (the server replays from the cursor).
export class BoundedQueue<T> {
  readonly limit: number;
  #items: (T | undefined)[] = [];
  #head = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.limit = limit;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Append an item; false (and nothing appended) when the queue is full. */
  push(item: T): boolean {
    if (this.size >= this.limit) return false;
    this.#items.push(item);
    return true;
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
