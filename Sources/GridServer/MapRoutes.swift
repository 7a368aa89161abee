import Foundation
import GridModel
import GridStore
import Hummingbird

/// Figures the map page needs that the other routes do not give: walking minutes to the nearest facility of a
/// category, per building, as a stored coverage run found them.
struct MapRoutes: Sendable {
    let state: ServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/coverage/minutes") { request, _ in
            try await StoreReadThreads.run {
                let parameters = try AnalysisRoutes.coverageParameters(request, accepted: ["f", "category", "run"])
                guard let category = parameters["category"], !category.isEmpty else {
                    throw APIProblem.badParameter("category", "category (a facility category of the run's profile, e.g. school) is required")
                }
                let run: Int64
                if let text = parameters["run"] {
                    guard let id = BodyNumbers.id(text), id >= 1 else {
                        throw APIProblem.badParameter("run", "run must be a coverage run id (a whole number from 1), not \"\(text)\"")
                    }
                    run = id
                } else {
                    guard let latest = try CoverageRuns.latestID(store: state.store) else {
                        throw APIProblem.notFound("no coverage run stored; run `communitygrid coverage` first")
                    }
                    run = latest
                }
                let answer: NearestFacilityMinutes.Answer
                do {
                    answer = try NearestFacilityMinutes.read(store: state.store, run: run, category: category)
                } catch NearestFacilityMinutes.Refusal.noSuchRun(let id, let stored) {
                    throw APIProblem.notFound("no coverage run \(id); stored: " + (stored.isEmpty ? "none" : stored.map(String.init).joined(separator: ", ")))
                } catch NearestFacilityMinutes.Refusal.unknownCategory(let name, let known) {
                    throw APIProblem.unprocessable("unknown-category", "category \"\(name)\" is not in run \(run)'s profile; known: \(known.joined(separator: ", "))",
                                                   parameter: "category")
                }
                return Responses.json(.object([
                    "run": .number(Double(answer.run)),
                    "category": .string(answer.category),
                    "walking_speed": .number(answer.walkingSpeed),
                    "buildings": .array(answer.buildings.map { building in
                        .object(["id": .number(Double(building.id)), "facility": .number(Double(building.facilityID)),
                                 "distance_m": .number(building.distance), "minutes": .number(building.minutes)])
                    }),
                    "unreached": .array(answer.unreached.map { .number(Double($0)) }),
                ]), request: request)
            }
        }
    }
}
