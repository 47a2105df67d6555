// The "Conectar WhatsApp" page: connect → QR code (or a pairing code for a phone number) → the live state (Server-Sent
// Events, or status polling where those are unavailable) → "Conectado" → disconnect.
//
// It only talks to the tenant's routes of this origin (README, "The web page", lists the calls), with the user's own
// bearer token; the event stream takes a short-lived ticket instead (docs/events.md). The token lives in memory only (see `session`): never in localStorage or sessionStorage, never in
// the URL once read from `#token=`. Every text from the token or the API goes in with `textContent`, never as HTML.
'use strict';

(() => {
  /** Status polling while a QR code is shown, when the event stream is unavailable (docs/events.md). */
  const QR_POLL_MS = 5000;
  /** Status polling once connected, when the event stream is unavailable: notices a connection that dropped (or was
   *  disconnected elsewhere). Every 5 s, as while a QR code is shown (docs/events.md). */
  const CONNECTED_POLL_MS = 5000;
  /** The longest wait between two polls after errors (the back-off doubles up to this). */
  const MAX_BACKOFF_MS = 30000;
  /** Evolution's QR codes live 45 s: ask connect for the current one a little before that. */
  const QR_REFRESH_MS = 40000;
  /** The longest wait for the event stream's first message before falling back to polling. */
  const FIRST_MESSAGE_MS = 10000;
  /** A ticket opens streams for 60 s: a stream closed for good sooner than this was refused for another reason. */
  const TICKET_FRESH_MS = 50000;
  /** New tickets in a row for a stream that keeps closing, before falling back to polling. */
  const MAX_REOPENS = 3;
  /** When a 202 or a 429 carries no usable Retry-After. */
  const DEFAULT_RETRY_AFTER_S = 3;
  /** How long to wait when another connect or disconnect of this tenant is running (409 operation_in_progress). */
  const BUSY_RETRY_MS = 2000;
  /** A phone number as connect takes it: E.164 digits without `+`. Anything else is refused, never cleaned. */
  const NUMBER_PATTERN = /^[0-9]{10,15}$/;
  /** The server's message for 400 invalid_number, shown before a call the server would refuse. */
  const INVALID_NUMBER_MESSAGE =
    'Número de telefone inválido. Informe apenas dígitos, com código do país e DDD (de 10 a 15 dígitos, sem +, ' +
    'espaços ou traços).';

  /** What the page says for each `lastDisconnection.reason` of status (docs/web-page.md); another reason shows the
   *  API's own `message`. */
  const DISCONNECTION_SENTENCES = {
    logged_out: 'Seu WhatsApp foi desconectado pelo celular.',
    restricted: 'O WhatsApp restringiu esta conta.',
    connection_lost: 'A conexão com o WhatsApp caiu.',
    qr_expired: 'O código QR expirou sem leitura.',
    removed: 'A instância foi removida fora deste serviço.',
    expired: 'A instância expirou sem ser conectada.',
    user: 'Desconectado por você.',
    unknown: 'O WhatsApp encerrou a conexão.',
  };
  /** E.164 country codes of one and two digits; every other one has three (ITU-T E.164 assignments). */
  const SHORT_COUNTRY_CODES = new Set([
    '1', '7', '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48',
    '49', '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
    '86', '90', '91', '92', '93', '94', '95', '98',
  ]);

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
      pairing: $('pairing-view'),
      connected: $('connected-view'),
    },
    headings: {
      token: $('token-heading'),
      checking: $('checking-heading'),
      start: $('start-heading'),
      qr: $('qr-heading'),
      pairing: $('pairing-heading'),
      connected: $('connected-heading'),
    },
    tokenForm: $('token-form'),
    tokenInput: $('token-input'),
    connectButton: $('connect-button'),
    qrBox: $('qr-box'),
    qrPending: $('qr-pending'),
    qrImage: $('qr-image'),
    refreshButton: $('refresh-button'),
    pairingForm: $('pairing-form'),
    pairingNumber: $('pairing-number'),
    pairingNumberError: $('pairing-number-error'),
    pairingSubmit: $('pairing-submit'),
    pairingBox: $('pairing-box'),
    pairingPending: $('pairing-pending'),
    pairingCode: $('pairing-code'),
    pairingNumberEnd: $('pairing-number-end'),
    pairingRefreshButton: $('pairing-refresh-button'),
    pairingBackButton: $('pairing-back-button'),
    instanceName: $('instance-name'),
    accountLine: $('account-line'),
    disconnectionReason: $('disconnection-reason'),
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
  // The phone number of the pairing view, in memory while that view is shown (never stored, never in the URL).
  let pairingNumber = null;
  let pairingCodeShown = false;
  // Whether "Desconectar" is under way: the stream's news of that very disconnect is not a dropped connection.
  let disconnecting = false;

  // The live state (docs/events.md): one EventSource while a view needs the state (QR code, pairing code, connected),
  // opened with a ticket. `version` is the highest state version applied: a late message carries a lower one.
  // `unavailable` (no first message within 10 s, the stream refused or failing): polling until the token changes.
  const live = {
    source: null,
    opening: false,
    ticketAt: 0,
    firstMessageTimer: 0,
    gotFirst: false,
    reopens: 0,
    version: -1,
    unavailable: false,
  };

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
    if (!needsState()) closeStream();
    pollFailures = 0;
    if (name !== 'pairing') pairingNumber = null;
    for (const [key, element] of Object.entries(ui.views)) {
      element.hidden = key !== name;
    }
    ui.tenantLine.hidden = session.tenant === null;
    ui.connectButton.disabled = false;
    ui.refreshButton.disabled = false;
    ui.pairingSubmit.disabled = false;
    ui.pairingRefreshButton.disabled = false;
    ui.disconnectButton.disabled = false;
    if (focus === 'heading') {
      ui.headings[name].focus();
    } else if (focus) {
      focus.focus();
    }
  }

  /** A phone number (E.164) as the page shows it: the country code and the last four digits, the rest hidden by the
   *  same four dots whatever its length. Brazil also keeps its area code and the first digit (`+55 11 9····-4321`);
   *  elsewhere `+{country code} ····-{last four}` (docs/web-page.md). */
  function maskedNumber(phoneNumber) {
    if (typeof phoneNumber !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(phoneNumber)) return null;
    const digits = phoneNumber.slice(1);
    const last = digits.slice(-4);
    if (digits.startsWith('55') && (digits.length === 12 || digits.length === 13)) {
      return `+55 ${digits.slice(2, 4)} ${digits.charAt(4)}····-${last}`;
    }
    const codeLength = [1, 2].find((length) => SHORT_COUNTRY_CODES.has(digits.slice(0, length))) ?? 3;
    return `+${digits.slice(0, codeLength)} ····-${last}`;
  }

  /** "Conectado como {name} ({masked number})", or what of it is known; null without an account. */
  function accountSentence(account) {
    if (account === null || typeof account !== 'object') return null;
    const name = typeof account.name === 'string' && account.name.trim() !== '' ? account.name.trim() : null;
    const number = maskedNumber(account.phoneNumber);
    if (name !== null && number !== null) return `Conectado como ${name} (${number})`;
    if (name !== null) return `Conectado como ${name}`;
    if (number !== null) return `Conectado (${number})`;
    return null;
  }

  /** The account line of the connected view, from a status body (or a stream message: the same shape). */
  function showAccount(body) {
    const sentence = accountSentence(body?.data?.account ?? null);
    ui.accountLine.textContent = sentence ?? '';
    ui.accountLine.hidden = sentence === null;
  }

  /** The sentence for why the connection last dropped, from a status body; null without one. */
  function disconnectionSentence(body) {
    const last = body?.data?.lastDisconnection;
    if (last === null || typeof last !== 'object') return null;
    const sentence = Object.hasOwn(DISCONNECTION_SENTENCES, last.reason) ? DISCONNECTION_SENTENCES[last.reason] : null;
    return sentence ?? (typeof last.message === 'string' && last.message !== '' ? last.message : null);
  }

  /** The start view after a drop: its reason above the connect button, when status gives one. */
  function showDisconnection(body) {
    const sentence = disconnectionSentence(body);
    ui.disconnectionReason.textContent = sentence ?? '';
    ui.disconnectionReason.hidden = sentence === null;
    return sentence;
  }

  /** Back to the connect button because the connection dropped: why, when status knows it. */
  function showDropped(body) {
    showStart(false);
    const sentence = showDisconnection(body);
    if (sentence === null) {
      announce('A conexão com o WhatsApp foi encerrada. Conecte novamente.', { visible: true });
    } else {
      announce(`${sentence} Conecte novamente.`);
    }
  }

  function showTokenForm(focus) {
    show('token', { focus: focus ? ui.tokenInput : null });
  }

  function showStart(focus) {
    show('start', { focus: focus ? ui.connectButton : null });
    showDisconnection(null);
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

  function showPairingPending() {
    ui.pairingCode.hidden = true;
    ui.pairingCode.textContent = '';
    ui.pairingPending.hidden = false;
    ui.pairingPending.textContent = 'Gerando código…';
    ui.pairingBox.setAttribute('aria-busy', 'true');
    pairingCodeShown = false;
  }

  function showPairingCode(code) {
    ui.pairingCode.textContent = code;
    ui.pairingCode.hidden = false;
    ui.pairingPending.hidden = true;
    ui.pairingBox.setAttribute('aria-busy', 'false');
    pairingCodeShown = true;
  }

  /** The connected view for a status body (or a stream message). */
  function showConnected(body, focus) {
    const instanceName = typeof body?.instanceName === 'string' ? body.instanceName : '';
    show('connected', { focus: focus ? 'heading' : null });
    ui.instanceName.textContent = instanceName;
    showAccount(body);
    const account = accountSentence(body?.data?.account ?? null);
    announce(`${account ?? 'Conectado'}.` + (instanceName ? ` Instância ${instanceName}.` : ''));
    watchState();
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
    closeStream();
    live.unavailable = false;
    live.version = -1;
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
    closeStream();
    session.token = null;
    session.tenant = null;
    clearError();
    announce('');
    showTokenForm(true);
  }

  // --- The API -------------------------------------------------------------------------------------------------

  /** Calls one of the tenant's WhatsApp routes (with `json` as its body when given); never throws: status 0 means no
   *  answer. */
  async function callAPI(method, action, json) {
    const path = `/api/tenants/${encodeURIComponent(session.tenant)}/whatsapp/${action}`;
    const headers = { Authorization: `Bearer ${session.token}`, Accept: 'application/json' };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const response = await fetch(path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
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
    closeStream();
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
        showConnected(result.body, focus);
      } else {
        announce('');
        showStart(focus);
        showDisconnection(result.body);
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
    watchState();
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

  /** "Gerar código de pareamento": the number as typed (10 to 15 digits), or the reason it is refused. */
  function submitPairingNumber() {
    const number = ui.pairingNumber.value;
    if (!NUMBER_PATTERN.test(number)) {
      refuseNumber(INVALID_NUMBER_MESSAGE);
      return;
    }
    ui.pairingNumber.removeAttribute('aria-invalid');
    ui.pairingNumberError.textContent = '';
    ui.pairingNumber.value = '';
    startPairing(number);
  }

  /** Shows why the number was refused, at the top and next to the field, and puts the focus back on it. */
  function refuseNumber(message) {
    showError(message);
    ui.pairingNumberError.textContent = message;
    ui.pairingNumber.setAttribute('aria-invalid', 'true');
    ui.pairingNumber.focus();
  }

  /** The pairing view for `number`: the code in large type once connect answers it, status polling meanwhile. */
  function startPairing(number) {
    clearError();
    announce('Gerando código de pareamento…');
    show('pairing', { focus: 'heading' });
    pairingNumber = number;
    ui.pairingNumberEnd.textContent = number.slice(-4);
    showPairingPending();
    requestPairingCode();
    watchState();
  }

  /** Calls connect with the number: a pairing code to show, a 202 to retry after Retry-After, or an answer that ends
   *  the pairing view. Each call asks Evolution for a new code (the previous one stops working), so the page never
   *  asks by itself once a code is shown: the person may be typing it. */
  async function requestPairingCode() {
    if (connectInFlight === epoch || pairingNumber === null) return;
    const current = epoch;
    const number = pairingNumber;
    connectInFlight = current;
    ui.pairingRefreshButton.disabled = true;
    const result = await callAPI('POST', 'connect', { number });
    if (connectInFlight === current) connectInFlight = null;
    if (current !== epoch) return;
    ui.pairingRefreshButton.disabled = false;
    const code = result.body?.pairingCode;
    const answered = result.status === 200 || result.status === 201;
    if (answered && typeof code === 'string' && code) {
      clearError();
      showPairingCode(code);
      announce(`Código de pareamento pronto: ${code}. Digite-o no WhatsApp do celular.`);
    } else if (result.status === 202 || answered) {
      if (!pairingCodeShown) showPairingPending();
      announce('Gerando código de pareamento…');
      schedule('connect', retryAfterMilliseconds(result, DEFAULT_RETRY_AFTER_S), requestPairingCode);
    } else if (result.status === 409 && codeOf(result) === 'already_connected') {
      checkStatus(true);
    } else if (result.status === 409) {
      announce(messageOf(result), { visible: true });
      schedule('connect', BUSY_RETRY_MS, requestPairingCode);
    } else if (isFatal(result)) {
      failForGood(result);
    } else if (result.status === 400 && codeOf(result) === 'invalid_number') {
      // The server refused the number: back to the QR code and the form, with its reason.
      startConnecting();
      refuseNumber(messageOf(result));
    } else {
      // Keep the view (and a code already shown): "Gerar novo código" tries again.
      if (!pairingCodeShown) ui.pairingPending.textContent = 'Não foi possível gerar o código.';
      ui.pairingBox.setAttribute('aria-busy', 'false');
      announce('');
      showError(messageOf(result));
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

  // --- The live state ------------------------------------------------------------------------------------------

  /** Whether the current view shows the tenant's state as it changes. */
  function needsState() {
    return view === 'qr' || view === 'pairing' || view === 'connected';
  }

  /** Follows the state for the current view: the event stream, or polling when it is unavailable. */
  function watchState() {
    if (live.unavailable || typeof EventSource !== 'function') {
      schedule('poll', view === 'connected' ? CONNECTED_POLL_MS : QR_POLL_MS, pollStatus);
    } else if (live.source === null && !live.opening) {
      openStream();
    }
  }

  function closeStream() {
    clearTimeout(live.firstMessageTimer);
    if (live.source !== null) live.source.close();
    live.source = null;
    live.gotFirst = false;
  }

  /** Polling from now on, quietly: the page works the same, only a little later. */
  function fallBack() {
    closeStream();
    live.unavailable = true;
    if (needsState()) schedule('poll', 0, pollStatus);
  }

  /** A ticket, then the stream; its first message is the current state (no `GET status` needed). */
  async function openStream() {
    live.opening = true;
    const token = session.token;
    const result = await callAPI('POST', 'events/ticket');
    live.opening = false;
    if (session.token !== token || !needsState() || live.source !== null || live.unavailable) return;
    const ticket = result.body?.ticket;
    if (result.status !== 201 || typeof ticket !== 'string') {
      if (isFatal(result)) failForGood(result);
      else fallBack();
      return;
    }
    live.ticketAt = Date.now();
    const path =
      `/api/tenants/${encodeURIComponent(session.tenant)}/whatsapp/events` + `?ticket=${encodeURIComponent(ticket)}`;
    const source = new EventSource(path);
    live.source = source;
    live.gotFirst = false;
    live.firstMessageTimer = setTimeout(() => {
      if (live.source === source && !live.gotFirst) fallBack();
    }, FIRST_MESSAGE_MS);
    source.addEventListener('state', (event) => {
      if (live.source !== source) return;
      if (!live.gotFirst) {
        live.gotFirst = true;
        live.reopens = 0;
        clearTimeout(live.firstMessageTimer);
        // Polling that a fallback or an error had scheduled is no longer needed.
        clearTimeout(timers.get('poll'));
        timers.delete('poll');
      }
      applyState(event.data);
    });
    source.addEventListener('error', () => {
      // While CONNECTING the browser reconnects by itself, resuming with Last-Event-ID.
      if (live.source !== source || source.readyState !== EventSource.CLOSED) return;
      closeStream();
      // Closed for good. After ~60 s that is the ticket expiring on a reconnect: a new one. Sooner, the stream was
      // refused (no nchan, a proxy's 502): polling.
      if (Date.now() - live.ticketAt >= TICKET_FRESH_MS && live.reopens < MAX_REOPENS) {
        live.reopens += 1;
        openStream();
      } else {
        fallBack();
      }
    });
  }

  /** One `state` message: the body of GET status plus `qrcode` and `version` (docs/events.md). */
  function applyState(text) {
    let state = null;
    try {
      state = JSON.parse(text);
    } catch {
      return;
    }
    if (state === null || typeof state !== 'object') return;
    const version = Number.isInteger(state.version) ? state.version : -1;
    if (version < live.version) return; // late: a newer state was applied already
    live.version = version;
    if (state.connected === true) {
      if (view !== 'connected') {
        clearError();
        showConnected(state, true);
      } else {
        showAccount(state);
      }
      return;
    }
    if (view === 'connected') {
      if (disconnecting) return;
      showDropped(state);
      return;
    }
    const noConnectUnderWay = connectInFlight !== epoch;
    if (view === 'qr') {
      const qrcode = state.qrcode;
      if (typeof qrcode === 'string' && qrcode.startsWith('data:image/')) {
        if (ui.qrImage.getAttribute('src') !== qrcode) {
          clearError();
          showQRCode(qrcode);
          announce('QR Code pronto. Escaneie com o WhatsApp do celular.');
        }
      } else if (state.status === 'not_created' && qrShownAt !== 0 && noConnectUnderWay) {
        // The instance is gone (disconnected elsewhere, or cleaned up): connect makes a new one.
        showQRPending();
        requestQRCode();
      }
    } else if (view === 'pairing' && state.status === 'not_created' && pairingCodeShown && noConnectUnderWay) {
      showPairingPending();
      requestPairingCode();
    }
  }

  /** Polls status while a QR code is shown (scanned yet?) or once connected (still connected?): the fallback when
   *  the event stream is unavailable. */
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
      if (view === 'qr' || view === 'pairing') clearError();
      if (result.body.connected === true) {
        if (view === 'connected') {
          showAccount(result.body);
          schedule('poll', CONNECTED_POLL_MS, pollStatus);
        } else {
          clearError();
          showConnected(result.body, true);
        }
      } else if (view === 'connected') {
        showDropped(result.body);
      } else if (result.body.status === 'not_created') {
        // The instance is gone (disconnected elsewhere, or cleaned up): connect makes a new one.
        if (view === 'pairing') {
          showPairingPending();
          requestPairingCode();
        } else {
          showQRPending();
          requestQRCode();
        }
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
    disconnecting = true;
    const result = await callAPI('DELETE', 'disconnect');
    disconnecting = false;
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
  ui.pairingForm.addEventListener('submit', (event) => {
    event.preventDefault();
    submitPairingNumber();
  });
  ui.pairingRefreshButton.addEventListener('click', () => {
    clearTimeout(timers.get('connect'));
    timers.delete('connect');
    clearError();
    showPairingPending();
    requestPairingCode();
  });
  ui.pairingBackButton.addEventListener('click', startConnecting);
  ui.disconnectButton.addEventListener('click', disconnect);

  // A new `#token=` link opened in this tab.
  window.addEventListener('hashchange', () => {
    const token = takeTokenFromFragment();
    if (token !== null) useToken(token, true);
  });

  // Back on the page: replace a QR code that may have expired meanwhile, and poll at once unless the stream follows
  // the state.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !needsState()) return;
    if (view === 'qr' && qrShownAt !== 0 && Date.now() - qrShownAt >= QR_REFRESH_MS) {
      requestQRCode();
    }
    if (live.source !== null && live.gotFirst) return;
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
