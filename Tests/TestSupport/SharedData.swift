import Foundation
import Testing

/// The shared real data beside this checkout (../shared: OSM extracts, reliability reproducers, peer harnesses).
/// CI always has it; a fresh clone may not, and the tests that read it then skip with a printed reason.
public enum SharedData {
    /// This checkout's root folder.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// ../shared beside this checkout, present or not.
    public static let root = repository.deletingLastPathComponent().appendingPathComponent("shared")

    /// The real OSM extracts: COMMUNITYGRID_GEODATA when set, else ../shared/geodata when present.
    public static let geodata: URL? = {
        if let override = ProcessInfo.processInfo.environment["COMMUNITYGRID_GEODATA"] {
            return URL(fileURLWithPath: override)
        }
        let candidate = root.appendingPathComponent("geodata")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    public static var available: Bool { geodata != nil }
    public static let skipReason: Comment = "../shared/geodata is not beside this checkout (set COMMUNITYGRID_GEODATA to run the real-data tests)"

    /// An extract's path under `geodata` (under ../shared/geodata when there is none, so that a check for the file
    /// finds it absent).
    public static func path(_ name: String) -> String { extract(name).path }

    public static func extract(_ name: String) -> URL { geodataFolder.appendingPathComponent(name) }

    /// `geodata`, or ../shared/geodata when it is absent.
    public static var geodataFolder: URL { geodata ?? root.appendingPathComponent("geodata") }

    /// True when the extract is there to read.
    public static func has(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// A folder of ../shared (`reliability`, `bench/peers`, …), present or not.
    public static func folder(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}
