import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// How long a connection may take over each stage of a request before it is closed. Slow clients (a request
/// head or body trickled a byte at a time, a chunked body without its last chunk, a connection held open doing
/// nothing) would otherwise keep a socket and its memory for ever.
public struct ConnectionLimits: Sendable {
    /// From the connection's start or its last response to the first byte of the next request.
    public var idleSeconds = 30.0
    /// From the first byte of a request to the end of its head.
    public var headerSeconds = 10.0
    /// From the end of a request's head to the end of its body.
    public var bodySeconds = 20.0
    public init() {}

    static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64((max(0.001, min(seconds, 86_400)) * 1e9).rounded())) }
}

/// HTTP/1.1 as Hummingbird serves it, with the read deadlines of `ConnectionLimits` and problem+json bodies
/// on the parser's own 400 answers. Two handlers share one clock: one sees raw bytes (so a request that has
/// begun is told from an idle connection), the other the parsed request and response parts.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let clock = RequestReadClock(limits: limits, channel: channel)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(RequestBytesWatcher(clock: clock), position: .first)
            let connectionState = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            try pipeline.addHandler(RequestPartsWatcher(clock: clock), position: .before(connectionState))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// Where a connection is in its request cycle, and the one deadline that applies there. Used only on the
/// connection's event loop.
final class RequestReadClock {
    enum Phase { case idle, readingHead, readingBody, answering, refusing }
    private(set) var phase = Phase.idle
    /// Bytes of a next request arrived while the previous one was being answered (pipelining).
    private var bytesWhileAnswering = false
    private var deadline: Scheduled<Void>?
    let limits: ConnectionLimits
    let channel: any Channel

    init(limits: ConnectionLimits, channel: any Channel) {
        self.limits = limits
        self.channel = channel
    }

    func start() { enter(.idle) }

    func bytesArrived() {
        switch phase {
        case .idle: enter(.readingHead)
        case .answering: bytesWhileAnswering = true
        case .readingHead, .readingBody, .refusing: break
        }
    }

    func headRead() { enter(.readingBody) }

    func bodyRead() { enter(.answering) }

    /// The parser gave up on the request: what is left is writing its 400, which the read deadlines must not cut
    /// short on a busy machine; the connection closes after it.
    func parseFailed() { enter(.refusing) }

    func responseWritten() {
        // A handler may answer before reading the body (a refused write); the body deadline still runs then.
        guard phase == .answering else { return }
        let next: Phase = bytesWhileAnswering ? .readingHead : .idle
        bytesWhileAnswering = false
        enter(next)
    }

    func stop() {
        deadline?.cancel()
        deadline = nil
    }

    private func enter(_ next: Phase) {
        phase = next
        stop()
        let seconds: Double? = switch next {
        case .idle: limits.idleSeconds
        case .readingHead: limits.headerSeconds
        case .readingBody: limits.bodySeconds
        case .answering: nil  // the request deadline (DeadlineMiddleware) bounds the answer
        case .refusing: max(limits.headerSeconds + limits.bodySeconds, 30)
        }
        guard let seconds else { return }
        let channel = self.channel
        deadline = channel.eventLoop.scheduleTask(in: ConnectionLimits.amount(seconds)) { channel.close(promise: nil) }
    }
}

/// Sees the raw bytes before the HTTP parser: the first byte of a request starts the header deadline.
final class RequestBytesWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let clock: RequestReadClock

    init(clock: RequestReadClock) { self.clock = clock }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { clock.start() }
    }

    func channelActive(context: ChannelHandlerContext) {
        clock.start()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        clock.bytesArrived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clock.stop()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { clock.stop() }
}

/// Sees parsed request parts (head, end) and response parts (end), and gives the parser's bare 400 (a
/// malformed request line or header, a header block over the size limit) a problem+json body.
final class RequestPartsWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    let clock: RequestReadClock

    init(clock: RequestReadClock) { self.clock = clock }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: clock.headRead()
        case .body: break
        case .end: clock.bodyRead()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let answerInFlight = clock.phase == .answering || clock.phase == .readingBody
        clock.parseFailed()
        guard error is HTTPParserError, !answerInFlight else {
            // A response may be on its way: the HTTP handler writes its 400 after it.
            context.fireErrorCaught(error)
            return
        }
        // Nothing is being answered on this connection, so the 400 is written here, on the event loop, rather than by
        // the request task: a pool busy with other work must not leave a malformed request unanswered.
        let problem = APIProblem(status: .badRequest, code: "malformed-request", title: "Malformed HTTP request",
                                 detail: Self.malformedDetail)
        let body = problem.body
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/problem+json"
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static let malformedDetail = "the request line or headers could not be parsed as HTTP/1.1 (or the header block is over 80 KiB)"

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .badRequest && head.headerFields[.contentType] == nil:
            // Every answer of the routes carries a content type; only the HTTP parser's own 400 has none.
            let problem = APIProblem(status: .badRequest, code: "malformed-request", title: "Malformed HTTP request",
                                     detail: Self.malformedDetail)
            let body = problem.body
            head.headerFields[.contentType] = "application/problem+json"
            head.headerFields[.contentLength] = String(body.count)
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: promise)
        case .end:
            context.write(data, promise: promise)
            clock.responseWritten()
        default:
            context.write(data, promise: promise)
        }
    }
}
