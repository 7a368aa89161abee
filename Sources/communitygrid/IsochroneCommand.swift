import ArgumentParser
import DemoCity
import Foundation
import GridAnalysis
import GridCommandLine
import GridModel
import GridServices
import GridStore

struct IsochroneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isochrone",
        abstract: "Walking isochrones as GeoJSON: nested contours around a point, a facility or a whole category.",
        discussion: """
            Writes a FeatureCollection with one (Multi)Polygon per contour, largest first so smaller ones draw \
            on top. The reach rule is the profile's, as in `coverage` (--profile, --speed): origins and \
            buildings join the nearest point of the nearest edge of the largest connected network within its \
            snap distance, and the straight leg counts as walking. A contour's polygon contains a building's \
            representative point exactly when `coverage` counts that building reached within the contour from \
            the same origins; around the buildings it is the reached network (edges cut at the exact \
            remaining budget) plus --allowance metres off it. A larger contour always contains a smaller one; \
            holes smaller than --min-hole-area are filled unless they hold an unreached building; every \
            polygon is valid (OGC simple features) and follows the RFC 7946 right-hand rule. Properties: \
            contour, unit, distance_m, area_m2, households and buildings reached (coverage's figures), \
            facilities inside by category, reach_factor (area ÷ area of the circle whose radius is the \
            contour's distance).
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Origin longitude (WGS84), with --lat.") var lon: Double?
    @Option(help: "Origin latitude (WGS84), with --lon.") var lat: Double?
    @Option(help: "Origin: one facility, by id.") var facility: Int64?
    @Option(help: "Origin: every facility of this category at once (each place counts from its nearest one).") var category: String?
    @Option(help: ArgumentHelp("Time contours in minutes, comma-separated (at most 60 each).", valueName: "LIST")) var minutes: String?
    @Option(help: ArgumentHelp("Distance contours in metres, comma-separated (at most 5000 each).", valueName: "LIST")) var meters: String?
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "How far off the walking network land still counts as reached, m.") var allowance: Double = 25
    @Option(name: .customLong("cell-size"), help: "Grid cell the polygons are traced on, m.") var cellSize: Double = 5
    @Option(name: .customLong("min-hole-area"), help: "Unreached holes smaller than this are filled, m².") var minHoleArea: Double = 2000

    func validate() throws {
        _ = try origin()
    }

    func origin() throws -> Isochrone.Origin {
        let given = [lon != nil || lat != nil, facility != nil, category != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one origin: --lon X --lat Y, --facility ID or --category C")
        }
        if let category { return .category(category) }
        if let facility { return .facility(facility) }
        guard let lon, let lat else { throw ValidationError(lon == nil ? "--lat needs --lon" : "--lon needs --lat") }
        return .point(Coordinate(longitude: lon, latitude: lat))
    }

    func options(_ profile: LifeCircleProfile) -> Isochrone.Options {
        Isochrone.Options(reach: profile.reach, offNetworkAllowance: Meters(allowance), cellSize: Meters(cellSize), minimumHoleArea: minHoleArea)
    }

    func run() async throws {
        let origin = try origin()
        let profile = try profileOptions.load()
        let contours = try Self.list(minutes, flag: "--minutes").map(Isochrone.Contour.minutes)
            + Self.list(meters, flag: "--meters").map(Isochrone.Contour.meters)
        let options = self.options(profile)
        // Checked before anything is read, so a bad request answers at once.
        do { _ = try Isochrone.validate(contours, options: options) } catch { throw IsochroneFlags.flagged(error) }
        let store = try self.store.open()
        let network = try WalkingNetwork.load(store, rule: profile.reach)
        guard network.hasEdges else { throw StoreError.badInput("the store has no walking network; import OSM data first") }
        let result: Isochrone.Result
        do {
            result = try Isochrone.run(snapper: network.snapper, origin: origin, contours: contours, options: options,
                                       facilities: network.facilities, buildings: try AnalysisData.buildings(store))
        } catch let error as IsochroneError {
            throw IsochroneFlags.flagged(error)
        }
        if !result.originsOffNetwork.isEmpty {
            Console.note("warning: \(result.originsOffNetwork.count) facilities of the category are farther than \(Int(profile.snapLimit.value)) m from the walking network and were left out: \(result.originsOffNetwork.map(String.init).joined(separator: ", "))")
        }
        Console.standardOutput(result.featureCollection() + "\n")
    }

    /// "5,10,15" → [5, 10, 15]; nil or empty → [].
    static func list(_ text: String?, flag: String) throws -> [Double] {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let value = Double(trimmed) else { throw ValidationError("\(flag): \"\(trimmed)\" is not a number") }
            return value
        }
    }
}
