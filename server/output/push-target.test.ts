import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pushArgs, pushTarget, redact } from './push-target.js';
import { numberedFile } from './recorder.js';

describe('push targets', () => {
  it('an Icecast URL is shown without its password, and the password is redacted from ffmpeg lines', () => {
    const target = pushTarget('icecast://source:s3cret@relay.lan:8000/screen.mkv');
    assert.equal(target.kind, 'icecast');
    assert.equal(target.shown, 'icecast://relay.lan:8000/screen.mkv');
    assert.equal(
      redact('icecast://source:s3cret@relay.lan:8000/screen.mkv: Connection refused (s3cret)', target),
      'icecast://relay.lan:8000/screen.mkv: Connection refused (***)',
    );
    const args = pushArgs(target);
    assert.deepEqual(args.slice(-5), ['-content_type', 'video/x-matroska', '-f', 'matroska', target.url]);
    assert.ok(args.includes('copy'));
  });

  it("another mkvcast's ingest hides its key; the push is a PUT of Matroska", () => {
    const target = pushTarget('http://10.0.0.2:8080/AbCdEfGh12345678/ingest');
    assert.equal(target.kind, 'mkvcast');
    assert.equal(target.shown, 'http://10.0.0.2:8080/…/ingest');
    assert.equal(
      redact('Server returned 404 for /AbCdEfGh12345678/ingest', target),
      'Server returned 404 for /***/ingest',
    );
    assert.deepEqual(pushArgs(target).slice(-5), ['-f', 'matroska', '-method', 'PUT', target.url]);
  });

  it('RTMP keeps the stream key out of sight and sends FLV with AAC audio; SRT sends MPEG-TS', () => {
    const rtmp = pushTarget('rtmp://a.rtmp.example.com/live2/xxxx-yyyy-zzzz');
    assert.equal(rtmp.shown, 'rtmp://a.rtmp.example.com/live2/…');
    assert.equal(redact(`${rtmp.url}: I/O error`, rtmp), 'rtmp://a.rtmp.example.com/live2/…: I/O error');
    const args = pushArgs(rtmp);
    assert.deepEqual(args.slice(args.indexOf('-c:v')), [
      '-c:v',
      'copy',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-f',
      'flv',
      rtmp.url,
    ]);
    const srt = pushTarget('srt://relay.lan:9000?passphrase=longenoughsecret&streamid=abc');
    assert.equal(srt.shown, 'srt://relay.lan:9000');
    assert.equal(redact(`${srt.url} failed`, srt), 'srt://relay.lan:9000 failed');
    assert.deepEqual(pushArgs(srt).slice(-3), ['-f', 'mpegts', srt.url]);
  });

  it('a URL that cannot be pushed to is refused with a code and a fix, without its secrets', () => {
    for (const url of [
      'ftp://u:pw@host/x',
      'not a url pw',
      'icecast://source:pw@host:8000/',
      'http://host/pw/other',
    ]) {
      assert.throws(
        () => pushTarget(url),
        (error: Error & { code?: string; fix?: string }) => {
          assert.equal(error.code, 'PUSH_URL_INVALID');
          assert.ok(error.fix?.includes('icecast://'));
          assert.ok(!/\bpw\b/.test(error.message.replace('not a url pw', '')), error.message);
          return true;
        },
      );
    }
  });
});

describe('recording file names', () => {
  it('the first file is the one given; a new header starts NAME-2, NAME-3, …', () => {
    assert.equal(numberedFile('/rec/talk.mkv', 1), '/rec/talk.mkv');
    assert.equal(numberedFile('/rec/talk.mkv', 2), '/rec/talk-2.mkv');
    assert.equal(numberedFile('talk', 3), 'talk-3.mkv');
  });
});
