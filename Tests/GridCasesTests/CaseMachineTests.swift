import Foundation
import GridCases
import GridModel
import Testing

/// Monday 2026-03-02 09:00 Beijing time.
let monday9: Timestamp = WorkingCalendar.standard.parseInstant("2026-03-02T09:00:00+08:00")!
let limits = StepLimits(handling: TimeLimit.parse("4h")!, checking: TimeLimit.parse("1d")!)

func attempt(_ timeline: CaseTimeline, _ action: CaseAction, at: Timestamp, extensionSeconds: Int64?) -> Result<CaseEvent, CaseError> {
    do { return .success(try timeline.next(action, at: at, actor: "a", extensionSeconds: extensionSeconds)) } catch { return .failure(error) }
}

@Suite("Case state machine")
struct CaseMachineTests {
    @Test("the main path registers, dispatches, handles, checks and closes; replay gives closed on time")
    func mainPath() throws {
        var events = [CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w1")]
        var timeline = try CaseTimeline.replay(events, limits: limits, calendar: .standard)
        for (action, minutes) in [(CaseAction.dispatch, 10), (.accept, 20), (.feedback, 120), (.check, 130), (.close, 140)] {
            let event = try timeline.next(action, at: monday9 + Int64(minutes * 60), actor: "x")
            events.append(event)
            timeline = try CaseTimeline.replay(events, limits: limits, calendar: .standard)
        }
        #expect(timeline.state == .closed)
        #expect(timeline.closedOnTime)
        #expect(timeline.closedAt == monday9 + 140 * 60)
    }

    @Test("an illegal transition is refused naming the allowed ones")
    func illegal() throws {
        let timeline = try CaseTimeline.replay([CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w1")],
                                               limits: limits, calendar: .standard)
        #expect(throws: CaseError.illegalTransition(action: .close, from: .registered, allowed: [.dispatch, .void])) {
            try timeline.next(.close, at: monday9, actor: "x")
        }
        var message = ""
        do { _ = try CaseMachine.target(of: .close, from: .registered) } catch { message = error.description }
        #expect(message == "cannot close a case that is registered (立案); allowed: dispatch, void")
        // A closed case allows nothing.
        #expect(CaseMachine.allowed(from: .closed).isEmpty)
        #expect(CaseMachine.allowed(from: .void).isEmpty)
    }

    @Test("a log whose event does not follow from the state before it is refused naming the event")
    func badLog() {
        let events = [
            CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w1"),
            CaseEvent(action: .accept, from: .registered, to: .handling, at: monday9 + 60, actor: "d"),
        ]
        #expect(throws: CaseError.self) { try CaseTimeline.replay(events, limits: limits, calendar: .standard) }
        let backwards = [
            CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w1"),
            CaseEvent(action: .dispatch, from: .registered, to: .dispatched, at: monday9 - 60, actor: "d"),
        ]
        #expect(throws: CaseError.badEvent(index: 1, reason: "events must be in time order")) {
            try CaseTimeline.replay(backwards, limits: limits, calendar: .standard)
        }
    }

    @Test("seeded random action sequences never leave the machine, and replaying the log gives the same case", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomSequences(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<200 {
            var now = monday9 + Int64(random.below(86_400 * 30))
            var events = [CaseEvent(action: .register, from: nil, to: .registered, at: now, actor: "w")]
            var timeline = try CaseTimeline.replay(events, limits: limits, calendar: .standard)
            for _ in 0..<40 {
                now += Int64(random.below(3 * 86_400))
                let action = CaseAction.allCases[random.below(CaseAction.allCases.count)]
                let allowed = CaseMachine.allowed(from: timeline.state)
                let extensionSeconds: Int64? = action == .extend ? Int64(1 + random.below(8)) * 3600 : nil
                switch attempt(timeline, action, at: now, extensionSeconds: extensionSeconds) {
                case .success(let event):
                    #expect(allowed.contains(action), "\(action) accepted from \(timeline.state)")
                    let target = try CaseMachine.target(of: action, from: timeline.state)
                    #expect(event.from == timeline.state && event.to == target)
                    events.append(event)
                    timeline = try CaseTimeline.replay(events, limits: limits, calendar: .standard)
                    #expect(timeline.state == event.to)
                case .failure(let error):
                    #expect(!allowed.contains(action), "\(action) refused from \(timeline.state): \(error)")
                    if case .illegalTransition(_, let from, let list) = error {
                        #expect(from == timeline.state && list == allowed)
                    }
                }
                if timeline.state.isFinal { break }
            }
            // Replaying the whole log again gives the same timeline.
            #expect(try CaseTimeline.replay(events, limits: limits, calendar: .standard) == timeline)
            #expect(timeline.events == events.count)
            // Every stored transition is a transition of the machine.
            for event in events.dropFirst() {
                #expect(try CaseMachine.target(of: event.action, from: event.from!) == event.to)
            }
        }
    }

    @Test("a failed check sends the case back to handling as rework and restarts the handling clock")
    func rework() throws {
        var events = [CaseEvent(action: .register, from: nil, to: .registered, at: monday9, actor: "w1")]
        for (action, minutes) in [(CaseAction.dispatch, 0), (.accept, 10), (.feedback, 60), (.check, 70), (.rework, 80)] {
            let timeline = try CaseTimeline.replay(events, limits: limits, calendar: .standard)
            events.append(try timeline.next(action, at: monday9 + Int64(minutes * 60), actor: "x"))
        }
        let timeline = try CaseTimeline.replay(events, limits: limits, calendar: .standard)
        #expect(timeline.state == .handling)
        #expect(timeline.reworks == 1)
        #expect(timeline.stepStartedAt == monday9 + 80 * 60)
    }
}
