// The "Conectar WhatsApp" page: connect → QR code → status polling → "Conectado" → disconnect.
//
// It only talks to the three routes of this origin (README, "The web page", lists the calls), with the user's own
// bearer token. The token lives in memory only (see `session`): never in localStorage or sessionStorage, never in
// the URL once read from `#token=`. Every text from the token or the API goes in with `textContent`, never as HTML.
'use strict';

(() => {
  /** Status polling while a QR code is shown: the page must notice a scan within seconds. */
  const QR_POLL_MS = 3000;
  /** Status polling once connected: notices a connection that dropped (or was disconnected elsewhere). */
  const CONNECTED_POLL_MS = 10000;
  /** The longest wait between two polls after errors (the back-off doubles up to this). */
  const MAX_BACKOFF_MS = 30000;
  /** Evolution's QR codes live 45 s: ask connect for the current one a little before that. */
  const QR_REFRESH_MS = 40000;
  /** When a 202 or a 429 carries no usable Retry-After. */
  const DEFAULT_RETRY_AFTER_S = 3;
  /** How long to wait when another connect or disconnect of this tenant is running (409 operation_in_progress). */
  const BUSY_RETRY_MS = 2000;

  const tenantClaim = document.querySelector('meta[name="tenant-claim"]')?.content || 'tenantId';

  const $ = (id) => document.getElementById(id);
  const ui = {
    tenantLine: $('tenant-line'),
    tenantName: $('tenant-name'),
    tokenExpiry: $('token-expiry'),
    changeToken: $('change-token'),
    alert: $('alert'),
    status: $('status'),
    views: {
      token: $('token-view'),
      checking: $('checking-view'),
      start: $('start-view'),
      qr: $('qr-view'),
      connected: $('connected-view'),
    },
    headings: {
      token: $('token-heading'),
      checking: $('checking-heading'),
      start: $('start-heading'),
      qr: $('qr-heading'),
      connected: $('connected-heading'),
    },
    tokenForm: $('token-form'),
    tokenInput: $('token-input'),
    connectButton: $('connect-button'),
    qrBox: $('qr-box'),
    qrPending: $('qr-pending'),
    qrImage: $('qr-image'),
    refreshButton: $('refresh-button'),
    instanceName: $('instance-name'),
    disconnectButton: $('disconnect-button'),
  };

  // The user's token and the tenant read from it. Memory only: a reload or a closed tab forgets it (the SaaS that
  // links here mints a new one). sessionStorage would survive reloads but any script of this origin could read it
  // and browsers may write it to disk for session restore; a bearer token that manages a tenant's WhatsApp number
  // is not worth that convenience.
  const session = { token: null, tenant: null };

  let view = 'token';
  // Bumped at each change of view: an answer that arrives for an older view is dropped.
  let epoch = 0;
  let pollFailures = 0;
  let qrShownAt = 0;
  // The epoch of the connect call under way, if any: one connect at a time per view.
  let connectInFlight = null;

  // --- Timers ------------------------------------------------------------------------------------------------

  // At most one timer per slot: `poll` (the next status call) and `connect` (the next connect call: a retry after
  // a 202, or the refresh of a QR code). Scheduling a slot replaces its timer, so chains never multiply.
  const timers = new Map();

  function schedule(slot, milliseconds, action) {
    clearTimeout(timers.get(slot));
    timers.set(
      slot,
      setTimeout(() => {
        timers.delete(slot);
        action();
      }, Math.max(0, milliseconds)),
    );
  }

  function cancelTimers() {
    timers.forEach(clearTimeout);
    timers.clear();
  }

  // --- Messages ------------------------------------------------------------------------------------------------

  function showError(message) {
    ui.alert.textContent = message;
  }

  function clearError() {
    ui.alert.textContent = '';
  }

  /** Writes to the polite live region; `visible` also shows it (else the view already says it). */
  function announce(message, { visible = false } = {}) {
    ui.status.classList.toggle('visually-hidden', !visible);
    ui.status.textContent = message;
  }

  // --- Views ---------------------------------------------------------------------------------------------------

  /** Shows one view, cancels what the previous one had scheduled; `focus` moves the keyboard focus to it. */
  function show(name, { focus = null } = {}) {
    cancelTimers();
    epoch += 1;
    view = name;
    pollFailures = 0;
    for (const [key, element] of Object.entries(ui.views)) {
      element.hidden = key !== name;
    }
    ui.tenantLine.hidden = session.tenant === null;
    ui.connectButton.disabled = false;
    ui.refreshButton.disabled = false;
    ui.disconnectButton.disabled = false;
    if (focus === 'heading') {
      ui.headings[name].focus();
    } else if (focus) {
      focus.focus();
    }
  }

  function showTokenForm(focus) {
    show('token', { focus: focus ? ui.tokenInput : null });
  }

  function showStart(focus) {
    show('start', { focus: focus ? ui.connectButton : null });
  }

  function showQRPending() {
    ui.qrImage.hidden = true;
    ui.qrImage.removeAttribute('src');
    ui.qrPending.hidden = false;
    ui.qrPending.textContent = 'Gerando QR Code…';
    ui.qrBox.setAttribute('aria-busy', 'true');
    qrShownAt = 0;
  }

  function showQRCode(dataURL) {
    ui.qrImage.src = dataURL;
    ui.qrImage.hidden = false;
    ui.qrPending.hidden = true;
    ui.qrBox.setAttribute('aria-busy', 'false');
    qrShownAt = Date.now();
  }

  function showConnected(instanceName, focus) {
    show('connected', { focus: focus ? 'heading' : null });
    ui.instanceName.textContent = instanceName || '';
    announce(instanceName ? `Conectado. Instância ${instanceName}.` : 'Conectado.');
    schedule('poll', CONNECTED_POLL_MS, pollStatus);
  }

  // --- The token -----------------------------------------------------------------------------------------------

  /** The claims of a compact JWT, decoded for display only (the server verifies the token). */
  function decodeClaims(token) {
    const parts = token.split('.');
    if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
    try {
      const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
      const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
    } catch {
      return null;
    }
  }

  /** `#token=<jwt>`: read once, then removed from the address bar and the history entry. */
  function takeTokenFromFragment() {
    if (!location.hash.startsWith('#')) return null;
    const token = new URLSearchParams(location.hash.slice(1)).get('token');
    if (token === null) return null;
    history.replaceState(history.state, '', location.pathname + location.search);
    return token;
  }

  function useToken(rawToken, focus) {
    const token = rawToken.trim().replace(/^Bearer\s+/i, '');
    clearError();
    announce('');
    session.token = null;
    session.tenant = null;
    const claims = token ? decodeClaims(token) : null;
    if (!claims) {
      showTokenForm(true);
      showError('Token inválido: cole o token JWT completo (três partes separadas por pontos).');
      return;
    }
    const tenant = claims[tenantClaim];
    if (typeof tenant !== 'string' || tenant === '') {
      showTokenForm(true);
      showError(`Token sem tenant: a claim "${tenantClaim}" está ausente.`);
      return;
    }
    session.token = token;
    session.tenant = tenant;
    ui.tenantName.textContent = tenant;
    ui.tokenExpiry.textContent = '';
    if (typeof claims.exp === 'number') {
      const expiry = new Date(claims.exp * 1000);
      const when = expiry.toLocaleString('pt-BR', { dateStyle: 'short', timeStyle: 'short' });
      ui.tokenExpiry.textContent = expiry > new Date() ? `Token válido até ${when}` : `Token expirou em ${when}`;
    }
    checkStatus(focus);
  }

  function forgetToken() {
    session.token = null;
    session.tenant = null;
    clearError();
    announce('');
    showTokenForm(true);
  }

  // --- The API -------------------------------------------------------------------------------------------------

  /** Calls one of the tenant's WhatsApp routes; never throws: status 0 means no answer. */
  async function callAPI(method, action) {
    const path = `/api/tenants/${encodeURIComponent(session.tenant)}/whatsapp/${action}`;
    try {
      const response = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${session.token}`, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
      });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      return { status: response.status, body, retryAfter: response.headers.get('Retry-After') };
    } catch {
      return { status: 0, body: null, retryAfter: null };
    }
  }

  /** What to tell the user about a failed call: the envelope's `message` when there is one. */
  function messageOf(result) {
    if (result.body && typeof result.body.message === 'string' && result.body.message) {
      return result.body.message;
    }
    if (result.status === 0) return 'Não foi possível contactar o servidor. Verifique sua conexão.';
    return `Erro inesperado do servidor (HTTP ${result.status}).`;
  }

  function codeOf(result) {
    return result.body && typeof result.body.error === 'string' ? result.body.error : '';
  }

  /** Answers that no retry will change: the token or the tenant is wrong. */
  function isFatal(result) {
    return (
      result.status === 401 ||
      result.status === 403 ||
      (result.status === 400 && codeOf(result) === 'invalid_tenant_id') ||
      (result.status === 404 && codeOf(result) === 'tenant_not_found')
    );
  }

  /** Stops everything and asks for another token, with the server's reason. */
  function failForGood(result) {
    session.token = null;
    show('token', { focus: ui.tokenInput });
    showError(messageOf(result));
    announce('');
  }

  function retryAfterMilliseconds(result, fallbackSeconds) {
    const seconds = Number.parseInt(result.retryAfter ?? '', 10);
    const usable = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 60) : fallbackSeconds;
    return Math.max(usable, 1) * 1000;
  }

  function backoffMilliseconds(base) {
    pollFailures += 1;
    return Math.min(base * 2 ** (pollFailures - 1), MAX_BACKOFF_MS);
  }

  // --- The flow ------------------------------------------------------------------------------------------------

  /** First look after a token is given: connected already, or the connect button. */
  async function checkStatus(focus) {
    show('checking', { focus: focus ? 'heading' : null });
    announce('Verificando a conexão…');
    const current = epoch;
    const result = await callAPI('GET', 'status');
    if (current !== epoch) return;
    if (result.status === 200 && result.body) {
      if (result.body.connected === true) {
        showConnected(result.body.instanceName, focus);
      } else {
        announce('');
        showStart(focus);
      }
    } else if (isFatal(result)) {
      failForGood(result);
    } else {
      announce('');
      showStart(focus);
      showError(messageOf(result));
    }
  }

  /** "Conectar WhatsApp": the QR view, waiting for the first QR code. */
  function startConnecting() {
    clearError();
    announce('Gerando QR Code…');
    show('qr', { focus: 'heading' });
    showQRPending();
    requestQRCode();
    schedule('poll', QR_POLL_MS, pollStatus);
  }

  /** Calls connect: a QR code to show, a 202 to retry after Retry-After, or an answer that ends the QR view. */
  async function requestQRCode() {
    // One connect at a time from this view (the server would answer a second one 409 operation_in_progress).
    if (connectInFlight === epoch) return;
    const current = epoch;
    connectInFlight = current;
    ui.refreshButton.disabled = true;
    const result = await callAPI('POST', 'connect');
    if (connectInFlight === current) connectInFlight = null;
    if (current !== epoch) return;
    ui.refreshButton.disabled = false;
    const qrcode = result.body?.qrcode;
    const answered = result.status === 200 || result.status === 201;
    if (answered && typeof qrcode === 'string' && qrcode.startsWith('data:image/')) {
      clearError();
      showQRCode(qrcode);
      announce('QR Code pronto. Escaneie com o WhatsApp do celular.');
      schedule('connect', QR_REFRESH_MS, refreshQRCode);
    } else if (result.status === 202 || answered) {
      // No QR code yet: Evolution is still making it. Call connect again after Retry-After.
      if (qrShownAt === 0) showQRPending();
      announce('Gerando QR Code…');
      schedule('connect', retryAfterMilliseconds(result, DEFAULT_RETRY_AFTER_S), requestQRCode);
    } else if (result.status === 409 && codeOf(result) === 'already_connected') {
      checkStatus(true);
    } else if (result.status === 409) {
      announce(messageOf(result), { visible: true });
      schedule('connect', BUSY_RETRY_MS, requestQRCode);
    } else if (isFatal(result)) {
      failForGood(result);
    } else if (qrShownAt === 0) {
      // The first connect failed: back to the button, with the reason.
      showStart(true);
      announce('');
      showError(messageOf(result));
    } else {
      // A refresh failed: keep the current QR code (it may still be valid) and try again later.
      showError(messageOf(result));
      schedule('connect', retryAfterMilliseconds(result, DEFAULT_RETRY_AFTER_S) * 2, requestQRCode);
    }
  }

  /** Every ~40 s while a QR code is shown: the current one (Evolution rotates them, each lives 45 s). */
  function refreshQRCode() {
    if (document.hidden) {
      // Nobody is looking: refresh when the page is visible again (see `visibilitychange`).
      return;
    }
    requestQRCode();
  }

  /** Polls status while a QR code is shown (scanned yet?) or once connected (still connected?). */
  async function pollStatus() {
    const current = epoch;
    const interval = view === 'connected' ? CONNECTED_POLL_MS : QR_POLL_MS;
    if (document.hidden) {
      schedule('poll', interval, pollStatus);
      return;
    }
    const result = await callAPI('GET', 'status');
    if (current !== epoch) return;
    if (result.status === 200 && result.body) {
      pollFailures = 0;
      if (view === 'qr') clearError();
      if (result.body.connected === true) {
        if (view === 'connected') {
          schedule('poll', CONNECTED_POLL_MS, pollStatus);
        } else {
          clearError();
          showConnected(result.body.instanceName, true);
        }
      } else if (view === 'connected') {
        showStart(false);
        announce('A conexão com o WhatsApp foi encerrada. Conecte novamente.', { visible: true });
      } else if (result.body.status === 'not_created') {
        // The instance is gone (disconnected elsewhere, or cleaned up): connect makes a new one.
        showQRPending();
        requestQRCode();
        schedule('poll', QR_POLL_MS, pollStatus);
      } else {
        schedule('poll', QR_POLL_MS, pollStatus);
      }
    } else if (isFatal(result)) {
      failForGood(result);
    } else {
      const wait = result.status === 429 ? retryAfterMilliseconds(result, 1) : backoffMilliseconds(interval);
      showError(`${messageOf(result)} Nova tentativa em ${Math.round(wait / 1000)} s.`);
      schedule('poll', wait, pollStatus);
    }
  }

  /** "Desconectar": deletes the instance, back to the connect button. */
  async function disconnect() {
    const current = epoch;
    ui.disconnectButton.disabled = true;
    clearError();
    announce('Desconectando…', { visible: true });
    const result = await callAPI('DELETE', 'disconnect');
    if (current !== epoch) return;
    if (result.status === 200 || (result.status === 404 && codeOf(result) === 'instance_not_found')) {
      showStart(true);
      announce(result.status === 200 ? messageOf(result) : 'O WhatsApp já estava desconectado.', { visible: true });
    } else if (isFatal(result)) {
      failForGood(result);
    } else {
      ui.disconnectButton.disabled = false;
      announce('');
      showError(messageOf(result));
    }
  }

  // --- Events --------------------------------------------------------------------------------------------------

  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = ui.tokenInput.value;
    ui.tokenInput.value = '';
    useToken(token, true);
  });
  ui.changeToken.addEventListener('click', forgetToken);
  ui.connectButton.addEventListener('click', startConnecting);
  ui.refreshButton.addEventListener('click', () => {
    clearTimeout(timers.get('connect'));
    timers.delete('connect');
    requestQRCode();
  });
  ui.disconnectButton.addEventListener('click', disconnect);

  // A new `#token=` link opened in this tab.
  window.addEventListener('hashchange', () => {
    const token = takeTokenFromFragment();
    if (token !== null) useToken(token, true);
  });

  // Back on the page: poll at once, and replace a QR code that may have expired meanwhile.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || (view !== 'qr' && view !== 'connected')) return;
    if (view === 'qr' && qrShownAt !== 0 && Date.now() - qrShownAt >= QR_REFRESH_MS) {
      requestQRCode();
    }
    clearTimeout(timers.get('poll'));
    timers.delete('poll');
    pollStatus();
  });

  const fragmentToken = takeTokenFromFragment();
  if (fragmentToken !== null) {
    useToken(fragmentToken, false);
  } else {
    showTokenForm(false);
  }
})();
