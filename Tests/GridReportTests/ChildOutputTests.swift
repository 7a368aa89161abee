import Foundation
@testable import GridReportFiles
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Signals the handler below saw.
private let interruptsSeen = Atomic<Int>(0)

/// Installs a SIGUSR1 handler without SA_RESTART, so that a blocking `read(2)` on a signalled thread returns EINTR.
/// It stays installed: a late signal must never meet the default action, which ends the process.
private func installInterruptingHandler() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in interruptsSeen.add(1, ordering: .relaxed) }
    action.sa_flags = 0
    sigemptyset(&action.sa_mask)
    sigaction(SIGUSR1, &action, nil)
}

/// A thread of the check's own that takes SIGUSR1 (threads started from the test runner's pool block signals) and
/// stays alive until `release()`, so that it can be signalled without racing its end.
private final class SignalledThread: Sendable {
    private let identity = Mutex<pthread_t?>(nil)
    private let done = Mutex(false)
    private let exit = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var usr1 = sigset_t()
            sigemptyset(&usr1)
            sigaddset(&usr1, SIGUSR1)
            pthread_sigmask(SIG_UNBLOCK, &usr1, nil)
            identity.withLock { $0 = pthread_self() }
            body()
            done.withLock { $0 = true }
            exit.wait()
        }
        thread.start()
    }

    var isDone: Bool { done.withLock { $0 } }

    /// Signals the thread (once it runs), until its body is done; then lets it end.
    func interrupt(every interval: Double, within limit: Duration) {
        let start = ContinuousClock.now
        while !isDone, ContinuousClock.now - start < limit {
            if let target = identity.withLock({ $0 }) { pthread_kill(target, SIGUSR1) }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    func release() { exit.signal() }
}

/// A value a check shares with a thread.
private final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func update(_ change: (inout Value) -> Void) { mutex.withLock { change(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

/// Reading a child's output: whole after signals interrupt the reads, and nothing left behind by hundreds of runs.
@Suite("reading child processes' output", .serialized)
struct ChildOutputTests {
    /// The interruption is real: a plain blocking read on the signalled thread returns EINTR.
    @Test("a signal handler without SA_RESTART makes a plain blocking read return EINTR")
    func plainReadIsInterrupted() throws {
        installInterruptingHandler()
        let pipe = Pipe()
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let result = Shared<(count: Int, error: Int32)?>(nil)
        let reader = SignalledThread {
            var byte: UInt8 = 0
            let count = Glibc.read(descriptor, &byte, 1)
            let error = errno
            result.update { $0 = (count, error) }
        }
        reader.interrupt(every: 0.01, within: .seconds(10))
        // Unblock the read however it went, then let the thread end.
        try? pipe.fileHandleForWriting.close()
        while !reader.isDone { Thread.sleep(forTimeInterval: 0.01) }
        reader.release()
        let ended = try #require(result.value)
        #expect(ended.count == -1 && ended.error == EINTR, "read returned \(ended.count), errno \(ended.error)")
    }

    @Test("a child writing slowly while its reader is signalled again and again: every line arrives, nothing traps")
    func survivesInterrupts() throws {
        installInterruptingHandler()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "i=0; while [ $i -lt 40 ]; do echo line $i; i=$((i+1)); sleep 0.02; done"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try Processes.launch(process)
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let read = Shared(Data())
        let before = interruptsSeen.load(ordering: .relaxed)
        // The loop every ChildOutput runs on its thread.
        let reader = SignalledThread { ChildOutput.readToEnd(descriptor) { piece in read.update { $0.append(piece) } } }
        reader.interrupt(every: 0.002, within: .seconds(60))
        reader.release()
        process.waitUntilExit()
        let text = String(decoding: read.value, as: UTF8.self)
        #expect(text.split(separator: "\n").map(String.init) == (0..<40).map { "line \($0)" }, "\(text)")
        let interrupts = interruptsSeen.load(ordering: .relaxed) - before
        #expect(interrupts > 10, "only \(interrupts) signals reached the reader")
        print("child output read whole through \(interrupts) interrupting signals")
    }

    @Test("hundreds of short processes started and reaped while a long one is read: all outputs whole, no descriptor kept")
    func manyShortProcessesBesideALongOne() throws {
        let long = Process()
        long.executableURL = URL(fileURLWithPath: "/bin/sh")
        long.arguments = ["-c", "i=0; while [ $i -lt 100 ]; do echo long $i; i=$((i+1)); sleep 0.01; done"]
        let longPipe = Pipe()
        long.standardOutput = longPipe
        try Processes.launch(long)
        let longOutput = ChildOutput(longPipe)
        let before = Self.openDescriptors()
        let runs = 300
        for number in 0..<runs {
            let result = try Processes.run("/bin/sh", ["-c", "echo out \(number); echo err \(number) >&2; cat"],
                                           input: Data("in \(number)\n".utf8))
            #expect(result.status == 0 && result.stdout == "out \(number)\nin \(number)\n" && result.stderr == "err \(number)\n",
                    "run \(number): \(result)")
        }
        let after = Self.openDescriptors()
        longOutput.waitForEnd(until: .now() + 60)
        long.waitUntilExit()
        #expect(longOutput.text.split(separator: "\n").map(String.init) == (0..<100).map { "long \($0)" })
        // Each run opens three pipes; a leak would keep at least one end of each (900 here). Other suites running
        // beside this one open a few of their own.
        #expect(after - before < 100, "\(before) descriptors open before \(runs) runs, \(after) after")
        print("\(runs) short processes: \(before) descriptors open before, \(after) after")
    }

    @Test("a run past its timeout is killed and says so")
    func timeout() throws {
        let start = ContinuousClock.now
        let result = try Processes.run("/bin/sleep", ["30"], timeout: 0.5)
        #expect(result.timedOut && result.signalled && result.status == SIGKILL, "\(result)")
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("a child that stops reading its input: the writer gives up, the test process lives on")
    func inputNobodyReads() throws {
        let result = try Processes.run("/bin/sh", ["-c", "exit 3"], input: Data(count: 1 << 20))
        #expect(result.status == 3)
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}
