import ArgumentParser
import Foundation
import GridAnalysis
import GridCommandLine
import GridReport
import GridServices
import GridReportFiles
import GridStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A street office's report (Chinese) on a community or a street: coverage, maps, charts, suggested sites, grid balance.",
        discussion: """
            The format follows --out's extension (.html, .pdf, .xlsx) or --format. HTML is one self-contained page;
            PDF is that page printed by headless Chromium; XLSX holds one sheet per table. The coverage figures are
            those of a stored run (--run, else the latest current run of --profile, else a new run is computed and
            stored), the same as `coverage show RUN --format json`.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, pdf, xlsx }

    @OptionGroup var store: StoreOptions
    @OptionGroup var profileOptions: ProfileOptions
    @Option(help: "The community to report on (12-digit code).") var community: String?
    @Option(help: "The street to report on (9-digit code: administrative division and street); all its communities.") var street: String?
    @Option(help: "The stored coverage run to report (see `coverage runs`).") var run: Int64?
    @Option(help: ArgumentHelp("The report file: .html, .pdf or .xlsx.", valueName: "FILE")) var out: String
    @Option(help: "html, pdf or xlsx (default: from --out's extension).") var format: Format?
    @Option(help: "The area's name on the title page (default: the community's name; a street has none in the store).") var name: String?
    @Option(help: ArgumentHelp("The report's date (default: today).", valueName: "YYYY-MM-DD")) var date: String?
    @Option(help: "Lower bound of households per grid in the balance table.") var min = 300
    @Option(help: "Upper bound of households per grid in the balance table.") var max = 500
    @Option(help: "How many sites to suggest for the weakest category.") var sites = 3

    func validate() throws {
        switch (community, street) {
        case (nil, nil): throw ValidationError("give --community CODE or --street CODE")
        case (.some, .some): throw ValidationError("give either --community or --street, not both")
        default: break
        }
        if let street, !(street.count == 9 && street.allSatisfy(\.isASCII) && street.allSatisfy(\.isNumber)) {
            throw ValidationError("--street \(street): a street code is 9 digits (administrative division 6 + street 3)")
        }
        if let run, run < 1 { throw ValidationError("--run \(run): run ids start at 1 (see `coverage runs`)") }
        guard (0...50).contains(sites) else { throw ValidationError("--sites must be between 0 and 50") }
        guard min >= 0, max >= min else { throw ValidationError("--min/--max: need 0 ≤ min ≤ max (got \(min), \(max))") }
        if let date, date.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
            throw ValidationError("--date \(date): give YYYY-MM-DD")
        }
        _ = try outputFormat()
    }

    func outputFormat() throws -> Format {
        if let format { return format }
        let suffix = URL(fileURLWithPath: out).pathExtension.lowercased()
        guard let format = Format(rawValue: suffix == "htm" ? "html" : suffix) else {
            throw ValidationError("--out \(out): unknown extension \(suffix.isEmpty ? "(none)" : "." + suffix); use .html, .pdf or .xlsx, or give --format")
        }
        return format
    }

    /// Refuses a path the report cannot be written to before any work is done.
    static func checkWritable(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw StoreError.badInput("--out \(path): is a directory") }
            guard FileManager.default.isWritableFile(atPath: path) else { throw StoreError.badInput("--out \(path): the file is not writable") }
            return
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError.badInput("--out \(path): the directory \(directory) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw StoreError.badInput("--out \(path): the directory \(directory) is not writable")
        }
    }

    func run() async throws {
        let format = try outputFormat()
        try Self.checkWritable(out)
        if format == .pdf {
            do { _ = try ReportPDF.requireBrowser() } catch let failure as ReportPDF.Failure { throw StoreError.environment(failure.description) }
        }
        let store = try self.store.open()
        let profile = try profileOptions.load()
        let today: String = {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd"
            return formatter.string(from: Date())
        }()
        var request = StreetReports.Request(area: community.map(StreetReports.Area.community) ?? .street(street ?? ""), run: run,
                                            profile: profile, name: name, date: date ?? today)
        request.balanceMinimum = min
        request.balanceMaximum = max
        request.sites = sites
        let (report, computed) = try StreetReports.assemble(request, store: store)
        if computed {
            FileHandle.standardError.write(Data("note: no current coverage run of profile \(profile.name); computed and stored run \(report.run.id)\n".utf8))
        }
        switch format {
        case .html:
            do { try Data(ReportHTML.render(report).utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw StoreError.badInput("--out \(out): cannot write: \(error.localizedDescription)")
            }
        case .pdf:
            do { try ReportPDF.write(html: ReportHTML.render(report), to: out) } catch let failure as ReportPDF.Failure {
                throw StoreError.environment(failure.description)
            }
        case .xlsx:
            do { try ReportWorkbook.write(report.tables, to: out) } catch let failure as ReportWorkbook.Failure {
                throw StoreError.badInput("--out \(failure.description)")
            }
        }
        print("report: \(out) (\(format.rawValue)), \(report.area.name) (\(report.area.code)), coverage run \(report.run.id), "
              + "\(report.grids.count) grids, \(report.total.households) households")
    }
}
