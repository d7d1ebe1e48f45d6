// Scraping a Prometheus endpoint in tests. The text format's sample lines are parsed strictly
// (`name{label="value",...} number`, every line must parse) into samples by name and labels, so a
// figure is read from its series, not matched loosely in the text. (parse-prometheus-text-format,
// tried first, merges the series of a labelled histogram into one.)

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Scrape {
  /** metric family names, from the # TYPE lines */
  families: Set<string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

export function parseExposition(text: string): Scrape {
  const scrape: Scrape = { families: new Set(), samples: [] };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const type = /^# TYPE (\S+) \S+$/.exec(line);
    if (type) scrape.families.add(type[1]);
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let m = LABEL.exec(body); m; m = LABEL.exec(body)) {
      labels[m[1]] = m[2].replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
      consumed = LABEL.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`bad labels in: ${line}`);
    scrape.samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return scrape;
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return parseExposition(await res.text());
}

/**
 * The sum of a series' samples whose labels include `where`. For a histogram pass its family
 * name: the `_count` series is summed (the number of observations).
 */
export function total(s: Scrape, name: string, where: Record<string, string> = {}): number {
  const series = s.samples.some((x) => x.name === `${name}_count`) ? `${name}_count` : name;
  return s.samples
    .filter((x) => x.name === series && Object.entries(where).every(([k, v]) => x.labels[k] === v))
    .reduce((n, x) => n + x.value, 0);
}
