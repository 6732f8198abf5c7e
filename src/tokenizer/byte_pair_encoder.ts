/** Options of {@link BytePairEncoder}. */
export interface BytePairEncoderOptions {
  /**
   * Marker appended to a word's last symbol before merging (CLIP: `"</w>"`, GPT-2: none), so that word-final
   * pieces have their own merges.
   */
  endOfWord?: string;
}

/** Cached words above this count are dropped, so a long-running server's cache stays bounded. */
const CACHE_LIMIT = 50_000;

/**
 * Merge-list byte-pair encoding with the reference's exact semantics (OpenAI's GPT-2 / CLIP `bpe()`): a word
 * starts as one symbol per character; repeatedly, the adjacent pair with the lowest merge rank is found and
 * **every** occurrence of it is merged in one left-to-right pass (in "a a a", only the first two), until no
 * adjacent pair has a rank.
 *
 * The reference rescans the whole word after every merge, which is quadratic (seconds for a 20,000-letter
 * "word"); here the pairs sit in a priority queue ordered by (rank, position), all occurrences of one rank are
 * merged as a batch left to right, and only then are the pairs that batch created queued — the same result in
 * O(n log n). (With a trained merge list a created pair always ranks after the merge that created its symbol,
 * so the batching only matters for hand-made lists; it keeps the reference's semantics for any list.)
 */
export class BytePairEncoder {
  /** `"a b"` (the merge list's line) → rank (its position). */
  private readonly ranks = new Map<string, number>();
  private readonly endOfWord: string;
  private readonly cache = new Map<string, string[]>();
  private readonly pinned = new Map<string, string[]>();

  /** @param merges pairs in priority order (rank 0 first). */
  constructor(merges: ReadonlyArray<readonly [string, string]>, options: BytePairEncoderOptions = {}) {
    // A repeated pair keeps its last rank, as the reference's dict(zip(merges, range(...))) does.
    merges.forEach(([a, b], rank) => this.ranks.set(`${a} ${b}`, rank));
    this.endOfWord = options.endOfWord ?? "";
  }

  /** Number of distinct merges. */
  get size(): number {
    return this.ranks.size;
  }

  /** Makes `word` always encode to `symbols` (CLIP's special tokens). */
  pin(word: string, symbols: string[]): void {
    this.pinned.set(word, symbols);
  }

  /**
   * Splits one pre-tokenized word (already in the byte alphabet, so every character is one UTF-16 unit and
   * none is a space) into its BPE symbols.
   */
  encodeWord(word: string): string[] {
    const known = this.pinned.get(word) ?? this.cache.get(word);
    if (known) return known;
    const symbols = this.merge(word);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }

  private merge(word: string): string[] {
    const n = word.length;
    // The word as a linked list of symbols; node i starts as character i. A merge grows the left node and
    // kills the right one; `version` changes whenever a node's symbol does, which invalidates queued pairs.
    const symbol = word.split("");
    if (this.endOfWord && n > 0) symbol[n - 1] += this.endOfWord;
    const next = Array.from({ length: n }, (_, i) => i + 1);
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const version = new Array<number>(n).fill(0);
    const alive = new Array<boolean>(n).fill(true);
    const queue = new PairQueue();
    const enqueue = (left: number) => {
      const right = next[left];
      if (left < 0 || right >= n) return;
      const rank = this.ranks.get(`${symbol[left]} ${symbol[right]}`);
      if (rank !== undefined) queue.push({ rank, left, right, leftVersion: version[left], rightVersion: version[right] });
    };
    for (let i = 0; i + 1 < n; i++) enqueue(i);

    const batch: Pair[] = [];
    const touched: number[] = [];
    while (queue.size > 0) {
      // All queued pairs of the lowest rank (one bigram), left to right; stale ones are skipped below.
      const rank = queue.peek().rank;
      batch.length = 0;
      while (queue.size > 0 && queue.peek().rank === rank) batch.push(queue.pop());
      touched.length = 0;
      for (const p of batch) {
        const valid =
          alive[p.left] && alive[p.right] && next[p.left] === p.right &&
          version[p.left] === p.leftVersion && version[p.right] === p.rightVersion;
        if (!valid) continue;
        symbol[p.left] += symbol[p.right];
        version[p.left]++;
        alive[p.right] = false;
        next[p.left] = next[p.right];
        if (next[p.right] < n) prev[next[p.right]] = p.left;
        touched.push(p.left);
      }
      // Pairs around the merged symbols enter the queue only now, as the reference rescans after a full pass.
      for (const node of touched) {
        if (!alive[node]) continue;
        enqueue(prev[node]);
        enqueue(node);
      }
    }
    const out: string[] = [];
    for (let i = 0; i < n; i = next[i]) out.push(symbol[i]);
    return out;
  }
}

interface Pair {
  rank: number;
  left: number;
  right: number;
  leftVersion: number;
  rightVersion: number;
}

/** Binary min-heap of pairs by (rank, left position). */
class PairQueue {
  private readonly heap: Pair[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Pair {
    return this.heap[0];
  }

  push(p: Pair): void {
    const h = this.heap;
    h.push(p);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): Pair {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Pair, b: Pair): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.left < b.left);
}
