import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { collectServiceConfigs, renderConfigReference } from '../../scripts/lib/configReference';
import { CONFIG_DESCRIPTIONS } from '../../scripts/lib/configDescriptions';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('the generated configuration reference', () => {
  const services = collectServiceConfigs();

  it('matches the committed docs/configuration-reference.md (run `npm run docs:config` after a change)', () => {
    const committed = readFileSync(path.join(REPO_ROOT, 'docs', 'configuration-reference.md'), 'utf8');
    expect(committed).toBe(renderConfigReference(services));
  });

  it('describes every variable a service reads', () => {
    const undescribed = services.flatMap(({ service, variables }) =>
      variables.filter((variable) => !variable.description).map((variable) => `${service}: ${variable.name}`),
    );
    expect(undescribed).toEqual([]);
  });

  it('describes no variable that no service reads (scripts/lib/configDescriptions.ts)', () => {
    const read = new Set(services.flatMap(({ variables }) => variables.map((variable) => variable.name)));
    expect(Object.keys(CONFIG_DESCRIPTIONS).filter((name) => !read.has(name))).toEqual([]);
  });

  it('lists the variables of the gateway and of every subgraph, with their defaults', () => {
    const gateway = services.find(({ service }) => service === 'gateway');
    expect(gateway?.variables.find((variable) => variable.name === 'MAX_QUERY_COST')?.defaultValue).toBe('10000');
    expect(services.map(({ service }) => service)).toEqual(
      expect.arrayContaining(['gateway', 'car', 'cost-center', 'user']),
    );
  });
});

describe('documentation links', () => {
  const documents = markdownFiles(REPO_ROOT);

  it('finds the documents to check', () => {
    expect(documents).toEqual(
      expect.arrayContaining([path.join(REPO_ROOT, 'README.md'), path.join(REPO_ROOT, 'docs', 'security.md')]),
    );
  });

  it('every relative link resolves to a file in the repository, and every anchor to a heading', () => {
    const broken: string[] = [];
    for (const document of documents) {
      for (const target of relativeLinks(readFileSync(document, 'utf8'))) {
        const [file, anchor] = target.split('#', 2) as [string, string | undefined];
        const resolved = file === '' ? document : path.resolve(path.dirname(document), decodeURI(file));
        const where = `${path.relative(REPO_ROOT, document)} → ${target}`;
        if (!resolved.startsWith(REPO_ROOT + path.sep) || !existsSync(resolved)) broken.push(where);
        else if (anchor && resolved.endsWith('.md') && !headingAnchors(readFileSync(resolved, 'utf8')).has(anchor))
          broken.push(where);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path a document names in code (`gateway/src/config.ts`) exists', () => {
    const missing = documents.flatMap((document) =>
      namedPaths(readFileSync(document, 'utf8'))
        .filter((named) => TOP_LEVEL.has(named.split('/')[0]!))
        // A build's output (gateway/dist/start.js) exists once built, not in a fresh clone.
        .filter((named) => !named.split('/').includes('dist'))
        .filter(
          (named) =>
            !existsSync(path.join(REPO_ROOT, named)) && !existsSync(path.resolve(path.dirname(document), named)),
        )
        .map((named) => `${path.relative(REPO_ROOT, document)}: ${named}`),
    );
    expect(missing).toEqual([]);
  });

  it('no document points outside the repository', () => {
    const outside = documents.filter((document) =>
      /\.\.\/shared|\bshared\/notes?\b/.test(readFileSync(document, 'utf8')),
    );
    expect(outside.map((document) => path.relative(REPO_ROOT, document))).toEqual([]);
  });
});

/** Every Markdown file of the repository, outside dependencies, builds and local data. */
function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (['node_modules', 'dist', '.git', '.data', '__generated__'].includes(name)) return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return markdownFiles(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

/** Targets of inline Markdown links and images that are not absolute URLs, outside code blocks. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The repository's own top-level folders: a path under another one names a file elsewhere (another repository). */
const TOP_LEVEL = new Set(
  readdirSync(REPO_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => entry.name),
);

/**
 * Repository paths written as code, e.g. `packages/subgraph-kit/src/db/migrate.ts`: a folder and a file with an extension,
 * no placeholder (`<name>`, `*`) and no URL, so that a moved file cannot leave a document behind.
 */
function namedPaths(markdown: string): string[] {
  const spans = [...markdown.matchAll(/`([^`\s]+)`/g)].map((match) => match[1]!);
  const named = spans.filter((span) =>
    /^[\w.-]+(\/[\w.@-]+)+\.(ts|js|cjs|md|json|ya?ml|graphql|prisma|sql)$/.test(span),
  );
  return [...new Set(named)];
}

/** The anchors GitHub gives a document's headings. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  for (const match of prose.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = match[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}
