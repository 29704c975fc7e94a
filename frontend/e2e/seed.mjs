// Seeding the store through the real API with the bearer token, so browser
// tests start from known data without reaching into Badger.

/** @typedef {{ baseURL: string, token: string }} Target */

/**
 * @param {Target} server
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(server, method, path, body) {
  const res = await fetch(server.baseURL + path, {
    method,
    headers: {
      Authorization: `Bearer ${server.token}`,
      'Content-Type': 'application/json',
      'X-Threadline-Client': 'e2e',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * The default pipeline every fresh store has.
 * @param {Target} server
 */
export async function defaultPipeline(server) {
  const { items } = await call(server, 'GET', '/api/pipelines');
  return items[0];
}

const first = ['Ann', 'Ben', 'Cleo', 'Dev', 'Eva', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jade', 'Kai', 'Lea', 'Milo', 'Nora'];
const last = ['Lee', 'Park', 'Novak', 'Silva', 'Berg', 'Costa', 'Moreau', 'Ito', 'Klein', 'Rossi', 'Haas'];
const companies = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne'];

/**
 * A plausible lead input, deterministic in i.
 * @param {number} i
 * @param {Record<string, unknown>} [extra]
 */
export function leadInput(i, extra = {}) {
  const name = `${first[i % first.length]} ${last[(i * 7) % last.length]}`;
  return {
    name: i >= first.length * last.length ? `${name} ${i}` : name,
    email: `lead${i}@${String(companies[i % companies.length]).toLowerCase()}.test`,
    company: companies[i % companies.length],
    value: 500 + ((i * 137) % 40) * 250,
    priority: ['low', 'medium', 'high'][i % 3],
    ...extra,
  };
}

/**
 * Creates n leads with `concurrency` requests in flight (the API has no bulk
 * create).
 * @param {Target} server
 * @param {number} n
 * @param {{ concurrency?: number, extra?: (i: number) => Record<string, unknown> }} [options]
 * @returns {Promise<any[]>}
 */
export async function seedLeads(server, n, { concurrency = 16, extra = () => ({}) } = {}) {
  const out = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      out[i] = await call(server, 'POST', '/api/leads', leadInput(i, extra(i)));
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}
