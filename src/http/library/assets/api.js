// The app's one way to the server: POST /graphql with the owner's token as a Bearer header, the
// documents by name from the page (trusted documents), uploads as GraphQL multipart requests, and
// the library's changes as a subscription over Server-Sent Events. Nothing else is sent anywhere.

/** The server refused the token: the app forgets it and asks again. */
export class SignedOut extends Error {}

/** A typed error: a mutation's UserError, or a request error's code and message. */
export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** The server could not be reached; nothing was changed. */
export class Offline extends Error {
  constructor() {
    super('The server cannot be reached. Nothing was changed; try again when the connection is back.');
  }
}

const RETRY_MS = [500, 1000, 2000, 5000, 10000];

export class Api {
  constructor({ documents, token, onSignedOut, onConnection }) {
    this.documents = documents;
    this.token = token;
    this.onSignedOut = onSignedOut;
    this.onConnection = onConnection;
  }

  headers(extra = {}) {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  /** The data of a query or mutation; throws ApiError, SignedOut or Offline. */
  async run(name, variables = {}) {
    const query = this.documents[name];
    if (!query) throw new Error(`no document ${name}`);
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json', accept: 'application/graphql-response+json' }),
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      this.onConnection(false);
      throw new Offline();
    }
    this.onConnection(true);
    return this.answer(response);
  }

  async answer(response) {
    const body = await response.json().catch(() => null);
    if (response.status === 401) {
      this.onSignedOut();
      throw new SignedOut(body?.errors?.[0]?.message ?? 'The token was refused');
    }
    const error = body?.errors?.[0];
    if (error || !body?.data) throw new ApiError(error?.message ?? `The server answered ${response.status}`, error?.extensions?.code);
    return body.data;
  }

  /** A mutation's one result: its payload, or its typed error thrown as ApiError. */
  async mutate(name, variables) {
    const data = await this.run(name, variables);
    const result = Object.values(data)[0];
    if (result && typeof result.__typename === 'string' && result.__typename.endsWith('Error'))
      throw new ApiError(result.message, result.code);
    return result;
  }

  /**
   * One file, uploaded as a GraphQL multipart request (XHR: fetch cannot report upload progress).
   * Resolves with the file's result (UploadedPhoto or RejectedUpload); `onProgress(sent, total)`.
   */
  upload(file, albumId, onProgress, signal) {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: this.documents.Upload, variables: { albumId: albumId ?? null, files: [null] } }));
    form.append('map', JSON.stringify({ 0: ['variables.files.0'] }));
    form.append('0', file, file.name);
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/graphql');
      xhr.setRequestHeader('authorization', `Bearer ${this.token}`);
      xhr.setRequestHeader('accept', 'application/graphql-response+json');
      // Multipart is a body any site's form could send: this header proves the request is the app's.
      xhr.setRequestHeader('graphql-preflight', '1');
      xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
      xhr.onerror = () => {
        this.onConnection(false);
        reject(new Offline());
      };
      xhr.onabort = () => reject(new ApiError('Cancelled', 'CANCELLED'));
      xhr.onload = () => {
        this.onConnection(true);
        const response = new Response(xhr.responseText, { status: xhr.status });
        this.answer(response).then((data) => {
          const result = data.uploadPhotos;
          if (result.__typename !== 'UploadPhotosPayload') reject(new ApiError(result.message, result.code));
          else resolve(result.results[0]);
        }, reject);
      };
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(form);
    });
  }

  /**
   * The subscription `name`, kept open: each event's data goes to `onData`; when the connection
   * drops it is made again (backing off), and `onData(null)` says events may have been missed,
   * so views read again. Returns a function that ends it.
   */
  subscribe(name, onData) {
    let stopped = false;
    let controller;
    let attempt = 0;
    const connect = async () => {
      controller = new AbortController();
      try {
        const response = await fetch('/graphql', {
          method: 'POST',
          headers: this.headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
          body: JSON.stringify({ query: this.documents[name] }),
          signal: controller.signal,
        });
        if (response.status === 401) return this.onSignedOut();
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        this.onConnection(true);
        if (attempt > 0) onData(null);
        attempt = 0;
        await readEvents(response.body, (data) => {
          if (data.data) onData(data.data);
        });
      } catch {
        // Dropped or refused: said below, then tried again.
      }
      if (stopped) return;
      this.onConnection(false);
      const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      attempt += 1;
      setTimeout(() => {
        if (!stopped) connect();
      }, wait);
    };
    connect();
    return () => {
      stopped = true;
      controller?.abort();
    };
  }
}

/** Reads `event: next` messages of a text/event-stream until it ends. */
async function readEvents(body, onNext) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value.replace(/\r\n/g, '\n');
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const message = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: ?(.*)$/m.exec(message)?.[1];
      if (event === 'complete') return;
      const data = message
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if ((event === 'next' || event === undefined) && data !== '') onNext(JSON.parse(data));
    }
  }
}
