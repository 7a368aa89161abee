import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a child process writes to a pipe, read to its end on a thread of its own with blocking `read(2)`.
///
/// Foundation's own reads of a FileHandle to its end end in a `try!` that traps when a signal interrupts the read
/// (EINTR), and its readability handler watches the descriptor with a dispatch source that can outlive it. This reader
/// does neither: it reads again after EINTR, holds the descriptor open until the end, then closes it itself, so no
/// descriptor number is closed twice or reused under a watcher, and none stays open after the child is done.
public final class ChildOutput: Sendable {
    private let state = Mutex(State())
    private let ended = DispatchSemaphore(value: 0)

    private struct State {
        var data = Data()
        var finished = false
    }

    /// Starts reading `pipe` (its reading end) at once. Start it right after the child is launched: the child blocks
    /// when the pipe is full.
    public init(_ pipe: Pipe, name: String = "child-output") {
        let handle = pipe.fileHandleForReading
        let descriptor = handle.fileDescriptor
        // The thread holds this reader (and `handle`) until the end of the output.
        let thread = Thread { [self] in
            Self.readToEnd(descriptor) { piece in state.withLock { $0.data.append(piece) } }
            // The reading end is closed here, once, while `handle` still holds it: nothing else reads it.
            try? handle.close()
            state.withLock { $0.finished = true }
            ended.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Everything read so far.
    public var data: Data { state.withLock { $0.data } }

    /// Everything read so far, as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: data, as: UTF8.self) }

    /// True once the writing ends are all closed (the child and whatever it started have exited) and all is read.
    public var isFinished: Bool { state.withLock { $0.finished } }

    /// Waits for the end of the output, and returns all of it.
    public func wait() -> Data {
        waitForEnd(until: .distantFuture)
        return data
    }

    /// Waits for the end of the output until `deadline`; false when it has not ended by then.
    @discardableResult
    public func waitForEnd(until deadline: DispatchTime) -> Bool {
        if isFinished { return true }
        guard ended.wait(timeout: deadline) == .success else { return false }
        ended.signal()  // Let every other waiter through too.
        return true
    }

    /// Reads `descriptor` to its end (or to an error other than EINTR), handing each piece read to `piece`.
    static func readToEnd(_ descriptor: Int32, _ piece: (Data) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 1)
        defer { buffer.deallocate() }
        while let data = read(descriptor, into: buffer), !data.isEmpty { piece(data) }
    }

    /// One `read(2)` of `descriptor`, again after EINTR: the bytes read, empty at the end, nil on another error.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Data? {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count > 0 { return Data(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
            if count == 0 { return Data() }
            if errno != EINTR { return nil }
        }
    }
}

/// Input for a child process, written to a pipe's writing end on a thread of its own and then closed.
///
/// `FileHandle.write(_:)` traps when the child has stopped reading (EPIPE), and the SIGPIPE of such a write ends the
/// whole process unless it is blocked: the writing thread blocks it and gives up quietly instead; the child's exit
/// status says why it stopped reading.
public enum ChildInput {
    /// Writes `data` to `pipe` and closes its writing end, without waiting.
    public static func send(_ data: Data, to pipe: Pipe) {
        let handle = pipe.fileHandleForWriting
        let thread = Thread {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            try? handle.write(contentsOf: data)
            try? handle.close()
        }
        thread.name = "child-input"
        thread.start()
    }
}
