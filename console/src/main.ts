/**
 * The Strata web console: a static single-page app on the public HTTP API (relative URLs, same
 * origin). Every view setting is in the URL hash, so a view can be linked to. It learns from
 * `GET /v1/cluster` whether the cluster is read-only, and then draws no mutating control at all.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, setToken, token } from './api.js';
import { Groups } from './groups.js';
import { Messages } from './messages.js';
import { Produce } from './produce.js';
import { Topics } from './topics.js';
import { ErrorBox, errText, html, navigate, setParams, useRoute } from './ui.js';

const SCREENS = [
  ['topics', 'Topics'],
  ['messages', 'Messages'],
  ['produce', 'Produce'],
  ['groups', 'Consumer groups'],
] as const;

const THEME_KEY = 'strata.console.theme';

function applyTheme(theme: string): void {
  document.documentElement.dataset.theme = theme;
}

function App() {
  const route = useRoute();
  const [cluster, setCluster] = useState<{ readOnly: boolean; authorization: boolean }>();
  const [error, setError] = useState<string>();
  const [theme, setTheme] = useState(
    () =>
      localStorage.getItem(THEME_KEY) ??
      (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'),
  );
  const [signedIn, setSignedIn] = useState(token() !== '');
  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    api('GET', '/v1/cluster').then(setCluster, (err) =>
      setError(`cannot reach the cluster: ${errText(err)}`),
    );
  }, [signedIn]);
  const refresh = Number(route.params.get('refresh') ?? 0) || 0;
  const readOnly = cluster?.readOnly ?? true;
  // Produce is a mutation: in read-only mode it is neither listed nor drawn.
  const screens = SCREENS.filter(([id]) => !(readOnly && id === 'produce'));
  const screen = screens.some(([id]) => id === route.screen) ? route.screen : 'topics';

  const onSignIn = (e: Event) => {
    e.preventDefault();
    const jwt = String(new FormData(e.target as HTMLFormElement).get('jwt') ?? '').trim();
    setToken(jwt);
    setSignedIn(jwt !== '');
  };

  let body = null;
  if (cluster) {
    if (screen === 'messages') body = html`<${Messages} params=${route.params} readOnly=${readOnly} />`;
    else if (screen === 'produce') body = html`<${Produce} params=${route.params} />`;
    else if (screen === 'groups')
      body = html`<${Groups} params=${route.params} readOnly=${readOnly} refresh=${refresh} />`;
    else body = html`<${Topics} params=${route.params} readOnly=${readOnly} refresh=${refresh} />`;
  }

  return html`<header>
      <h1>Strata</h1>
      <nav>
        ${screens.map(
          ([id, label]) =>
            html`<a key=${id} href=${`#/${id}`} class=${id === screen ? 'active' : ''} onClick=${(
              e: Event,
            ) => {
              e.preventDefault();
              navigate(id);
            }}>${label}</a>`,
        )}
      </nav>
      <span class="grow"></span>
      ${cluster?.readOnly ? html`<span class="badge" data-testid="read-only">read-only</span>` : null}
      <label>refresh
        <select aria-label="refresh interval" onChange=${(e: Event) => setParams({ refresh: (e.target as HTMLSelectElement).value })}>
          ${[
            ['0', 'off'],
            ['2', '2 s'],
            ['5', '5 s'],
            ['10', '10 s'],
            ['30', '30 s'],
          ].map(([v, l]) => html`<option value=${v} selected=${String(refresh) === v}>${l}</option>`)}
        </select>
      </label>
      <button aria-label="toggle dark mode" onClick=${() => {
        const next = theme === 'dark' ? 'light' : 'dark';
        localStorage.setItem(THEME_KEY, next);
        setTheme(next);
      }}>${theme === 'dark' ? '☀' : '☾'}</button>
      <form class="signin" onSubmit=${onSignIn}>
        <input name="jwt" type="password" aria-label="JWT" placeholder=${signedIn ? 'signed in (JWT set)' : 'JWT (optional)'} />
        <button type="submit">${signedIn ? 'Change' : 'Sign in'}</button>
      </form>
    </header>
    <main>
      <${ErrorBox} error=${error} />
      ${body}
    </main>`;
}

applyTheme(localStorage.getItem(THEME_KEY) ?? 'light');
render(html`<${App} />`, document.getElementById('app') as HTMLElement);
