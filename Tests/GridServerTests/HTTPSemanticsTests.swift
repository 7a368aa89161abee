import Foundation
import GRDB
import GridModel
import GridReportFiles
@testable import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP semantics and server limits")
struct HTTPSemanticsTests {
    @Test("each content encoding has its own strong ETag; a 304 carries the tag and Vary: Accept-Encoding")
    func etagPerEncoding() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            let uri = "/collections/buildings/items?limit=50"
            let identity = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity"])
            let gzip = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(identity.status == .ok && gzip.status == .ok)
            #expect(gzip.headers[.contentEncoding] == "gzip")
            #expect(identity.headers[.contentEncoding] == nil)
            let identityTag = try #require(identity.headers[.eTag]), gzipTag = try #require(gzip.headers[.eTag])
            #expect(identityTag != gzipTag)
            #expect(identity.headers[.vary] == "Accept-Encoding" && gzip.headers[.vary] == "Accept-Encoding")

            let notModified = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag])
            #expect(notModified.status == .notModified)
            #expect(notModified.headers[.eTag] == gzipTag)
            #expect(notModified.headers[.vary] == "Accept-Encoding")
            #expect(notModified.body.readableBytes == 0)
            let weak = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity", .ifNoneMatch: "W/" + identityTag])
            #expect(weak.status == .notModified)
            // The gzip tag does not validate the identity bytes.
            let other = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity", .ifNoneMatch: gzipTag])
            #expect(other.status == .ok)
            #expect(other.headers[.eTag] == identityTag)
        }
    }

    @Test("HEAD answers every GET resource with the GET's status and headers and no body", arguments: [
        "/", "/map", "/api", "/conformance", "/collections", "/collections/buildings", "/collections/buildings/queryables",
        "/collections/buildings/items?limit=3", "/collections/buildings/items/1", "/coverage", "/runs", "/health",
        "/collections/nope", "/collections/buildings/items?limit=0",
    ])
    func head(uri: String) async throws {
        try await application(DemoStore.shared.store).testLive { client in
            let get = try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "identity"])
            let head = try await client.execute(uri: uri, method: .head, headers: [.acceptEncoding: "identity"])
            #expect(head.status == get.status, "\(uri)")
            #expect(head.headers[.contentType] == get.headers[.contentType], "\(uri)")
            #expect(head.body.readableBytes == 0, "\(uri)")
            if uri != "/health", get.status == .ok {
                #expect(head.headers[.eTag] == get.headers[.eTag], "\(uri)")
                #expect(head.headers[.contentLength] == get.headers[.contentLength], "\(uri)")
            }
        }
    }

    @Test("other methods on a served path answer 405 with Allow (problem+json); unknown paths stay 404")
    func methodNotAllowed() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/collections", .put, "GET, HEAD"), ("/collections/buildings/items", .delete, "GET, HEAD"),
                ("/collections/buildings/items/1", .patch, "GET, HEAD"), ("/runs", .delete, "GET, HEAD, POST"),
                ("/isochrones", .put, "GET, HEAD, POST"), ("/runs/1/apply", .get, "POST"), ("/", .post, "GET, HEAD"),
                ("/api", .init("TRACE")!, "GET, HEAD"), ("/static/leaflet/leaflet.js", .post, "GET, HEAD"),
            ]
            for (uri, method, allowed) in cases {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                #expect(response.headers[.allow] == allowed, "\(method) \(uri)")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try response.json["code"] == "method-not-allowed")
            }
            let unknown = try await client.execute(uri: "/no/such/path", method: .put)
            #expect(unknown.status == .notFound)
            let unknownGet = try await client.execute(uri: "/collections/buildings/items/1/more", method: .get)
            #expect(unknownGet.status == .notFound)
        }
    }

    @Test("compute slots: past the bound a request is refused at once with 503 and Retry-After, and a freed slot is reused")
    func computeSlots() throws {
        let slots = ComputeSlots(capacity: 2, work: "isochrone", retryAfterSeconds: 1)
        try slots.acquire()
        try slots.acquire()
        #expect(slots.inUse == 2)
        do {
            try slots.acquire()
            Issue.record("a third isochrone was let in")
        } catch let problem as APIProblem {
            #expect(problem.status == .serviceUnavailable)
            #expect(problem.extraHeaders[.retryAfter] == "1")
            #expect(problem.code == "busy")
        }
        slots.release()
        #expect(try slots.run { slots.inUse } == 2)
        #expect(slots.inUse == 1)
    }

    @Test("isochrones hammered past the bound: each answer is 200 or 503 with Retry-After, and a bbox page is still served meanwhile")
    func isochronesUnderLoad() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            print("skipped: /usr/bin/python3 is not installed")
            return
        }
        var limited = settings()
        limited.limits.maximumConcurrentIsochrones = 1
        try await application(DemoStore.shared.store, limited).test(.live) { client in
            let port = try #require(client.port)
            let script = """
                import json, sys, threading, time, urllib.request, urllib.error
                base = "http://127.0.0.1:%s" % sys.argv[1]
                results = []
                def iso():
                    request = urllib.request.Request(base + "/isochrones", data=b'{"category": "school", "minutes": [15]}', method="POST")
                    try:
                        with urllib.request.urlopen(request, timeout=60) as r: results.append([r.status, None])
                    except urllib.error.HTTPError as e: results.append([e.code, e.headers.get("Retry-After")])
                threads = [threading.Thread(target=iso) for _ in range(12)]
                for t in threads: t.start()
                start = time.time()
                with urllib.request.urlopen(base + "/collections/buildings/items?bbox=116.30,39.90,116.40,39.99&limit=10", timeout=60) as r:
                    bbox = [r.status, time.time() - start]
                for t in threads: t.join()
                print(json.dumps({"isochrones": results, "bbox": bbox}))
                """
            let (status, output) = try await Browser.run("/usr/bin/python3", ["-c", script, String(port)])
            #expect(status == 0, "\(output)")
            let result = try JSONDecoder().decode(JSONValue.self, from: Data(output.utf8))
            let answers = result["isochrones"]?.arrayValue ?? []
            #expect(answers.count == 12)
            #expect(answers.contains { $0.arrayValue?.first?.intValue == 200 })
            for answer in answers {
                let code = answer.arrayValue?.first?.intValue
                #expect(code == 200 || code == 503, "\(answer)")
                if code == 503 { #expect(answer.arrayValue?.last?.stringValue == "1") }
            }
            #expect(result["bbox"]?.arrayValue?.first?.intValue == 200)
        }
    }

    @Test("slow clients are closed: a trickled head, a stalled or trickled body, an idle connection; a malformed request is a 400 problem")
    func slowClients() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            print("skipped: /usr/bin/python3 is not installed")
            return
        }
        var limited = settings()
        limited.connection.headerSeconds = 1
        limited.connection.bodySeconds = 1
        limited.connection.idleSeconds = 2
        try await application(DemoStore.shared.store, limited).test(.live) { client in
            let port = try #require(client.port)
            let script = """
                import json, socket, sys, time
                port = int(sys.argv[1])
                def closed_after(first, trickle=None, every=0.25, limit=15):
                    s = socket.create_connection(("127.0.0.1", port))
                    start = time.time()
                    if first: s.sendall(first)
                    s.settimeout(every)
                    data = b""
                    while time.time() - start < limit:
                        try:
                            chunk = s.recv(65536)
                            if not chunk: return [round(time.time() - start, 2), data.decode("latin-1")]
                            data += chunk
                        except socket.timeout:
                            if trickle:
                                try: s.sendall(trickle)
                                except OSError: return [round(time.time() - start, 2), data.decode("latin-1")]
                        except OSError:
                            return [round(time.time() - start, 2), data.decode("latin-1")]
                    return [None, data.decode("latin-1")]
                out = {
                    "head_stalled": closed_after(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\n"),
                    "head_trickled": closed_after(b"GET /health HTTP/1.1\\r\\n", trickle=b"X"),
                    "body_stalled": closed_after(b"POST /isochrones HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\n{\\"cat\\r\\n"),
                    "body_trickled": closed_after(b"POST /isochrones HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100000\\r\\n\\r\\n{", trickle=b" "),
                    "idle": closed_after(None),
                    "malformed": closed_after(b"GARBAGE\\r\\n\\r\\n"),
                    # The answer comes from the request task pool, which the other tests of a full run may hold for a
                    # while: the server must answer, not necessarily at once.
                    "after": closed_after(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n", limit=120),
                }
                print(json.dumps(out))
                """
            let (status, output) = try await Browser.run("/usr/bin/python3", ["-c", script, String(port)])
            #expect(status == 0, "\(output)")
            let result = try JSONDecoder().decode(JSONValue.self, from: Data(output.utf8))
            func seconds(_ name: String) -> Double? { result[name]?.arrayValue?.first?.doubleValue }
            for name in ["head_stalled", "head_trickled", "body_stalled", "body_trickled"] {
                let closed = try #require(seconds(name), "\(name) was never closed: \(output)")
                #expect(closed >= 0.8 && closed < 4, "\(name): \(closed) s")
            }
            let idle = try #require(seconds("idle"), "the idle connection was never closed")
            #expect(idle >= 1.8 && idle < 5, "idle: \(idle) s")
            let malformed = result["malformed"]?.arrayValue?.last?.stringValue ?? ""
            #expect(malformed.hasPrefix("HTTP/1.1 400"), "\(malformed)")
            #expect(malformed.contains("application/problem+json") && malformed.contains("\"code\":\"malformed-request\""), "\(malformed)")
            // The server still answers (the test client's own keep-alive connection was closed as idle meanwhile).
            #expect(result["after"]?.arrayValue?.last?.stringValue?.hasPrefix("HTTP/1.1 200") == true, "\(output)")
        }
    }

    @Test("a malformed request is answered 400 on the connection's event loop even while every request task waits")
    func malformedAnsweredWhilePoolBusy() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            print("skipped: /usr/bin/python3 is not installed")
            return
        }
        try await application(DemoStore.shared.store).test(.live) { client in
            let port = try #require(client.port)
            // The client connects at once, sends garbage after 0.5 s and times the answer; meanwhile every thread of
            // the task pool is held for 2.5 s, as CPU-bound work in the same process would hold it.
            let script = """
                import json, socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                time.sleep(0.5)
                start = time.time()
                s.sendall(b"GARBAGE\\r\\n\\r\\n")
                s.settimeout(10)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                print(json.dumps([round(time.time() - start, 2), data.decode("latin-1")]))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", script, String(port)]
            let pipe = Pipe()
            process.standardOutput = pipe
            try Processes.launch(process)
            let output = ChildOutput(pipe, name: "python-stdout")
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<(ProcessInfo.processInfo.activeProcessorCount + 1) {
                    group.addTask { holdThread(seconds: 2.5) }
                }
            }
            let data = output.wait()
            process.waitUntilExit()
            let answer = try JSONDecoder().decode(JSONValue.self, from: data)
            let seconds = try #require(answer.arrayValue?.first?.doubleValue, "\(String(decoding: data, as: UTF8.self))")
            let text = answer.arrayValue?.last?.stringValue ?? ""
            #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
            #expect(text.contains("\"code\":\"malformed-request\""), "\(text)")
            #expect(seconds < 1.5, "the 400 took \(seconds) s: it waited for the task pool")
        }
    }
}

/// Blocks the calling thread, as CPU-bound work on the task pool does.
private func holdThread(seconds: Double) { Thread.sleep(forTimeInterval: seconds) }
