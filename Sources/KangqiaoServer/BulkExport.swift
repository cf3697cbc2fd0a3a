import FHIRCore
import FHIRStore
import Foundation

/// FHIR Bulk Data export (`$export` at system, Patient and Group level, asynchronous): a job runs
/// with the requester's identity, so their scopes, relationships and patients' consents apply to
/// every resource written, and every page it reads is audited as a search naming its patients
/// (R-SEC-4: every export is audited). Files are NDJSON in a directory of the server's own; only
/// the requester may poll the job, download its files or delete it.
public actor BulkExportJobs {
    public enum State: Sendable { case running, completed, failed(String), cancelled }

    struct Job {
        let id: String
        let owner: String
        let request: String
        let transactionTime: String
        var state: State = .running
        var progress = ""
        var files: [(type: String, name: String, count: Int)] = []
        var task: Task<Void, Never>?
    }

    let directory: URL
    private var jobs: [String: Job] = [:]

    public init(directory: URL = FileManager.default.temporaryDirectory.appendingPathComponent("kangqiao-exports-\(UUID().uuidString)")) {
        self.directory = directory
    }

    func start(owner: String, request: String, types: [String], since: Int64?, patients: [String]?, context: RequestContext,
               repository: FHIRRepository) throws -> String {
        let id = UUID().uuidString.lowercased()
        let folder = directory.appendingPathComponent(id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        jobs[id] = Job(id: id, owner: owner, request: request, transactionTime: InstantFormat.string(millis: Int64(Date().timeIntervalSince1970 * 1000)))
        let task = Task { [weak self] in
            do {
                for (n, type) in types.enumerated() {
                    let name = "\(type).ndjson"
                    let url = folder.appendingPathComponent(name)
                    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                        throw FHIRError.internal("cannot create the export file \(name)")
                    }
                    let handle = try FileHandle(forWritingTo: url)
                    defer { try? handle.close() }
                    let count = try await repository.export(type: type, since: since, patients: patients, context: context) { records in
                        var bytes: [UInt8] = []
                        for r in records { bytes += r.json; bytes.append(UInt8(ascii: "\n")) }
                        try handle.write(contentsOf: bytes)
                    }
                    if count > 0 { await self?.add(id, type: type, name: name, count: count) } else { try? FileManager.default.removeItem(at: url) }
                    await self?.progress(id, "\(n + 1) of \(types.count) types")
                }
                await self?.finish(id, .completed)
            } catch is CancellationError {
                await self?.finish(id, .cancelled)
            } catch {
                await self?.finish(id, .failed("\(error)"))
            }
        }
        jobs[id]?.task = task
        return id
    }

    private func add(_ id: String, type: String, name: String, count: Int) { jobs[id]?.files.append((type, name, count)) }
    private func progress(_ id: String, _ text: String) { jobs[id]?.progress = text }
    private func finish(_ id: String, _ state: State) {
        guard jobs[id] != nil else { return }
        if case .cancelled = jobs[id]!.state { return }
        jobs[id]?.state = state
    }

    /// The job if `owner` started it (others are told it does not exist).
    func job(_ id: String, owner: String) -> Job? {
        guard let job = jobs[id], job.owner == owner else { return nil }
        return job
    }

    func file(_ id: String, name: String, owner: String) -> URL? {
        guard let job = job(id, owner: owner), case .completed = job.state, job.files.contains(where: { $0.name == name }) else { return nil }
        return directory.appendingPathComponent(id).appendingPathComponent(name)
    }

    /// Cancels a running job or deletes a finished one with its files.
    func delete(_ id: String, owner: String) -> Bool {
        guard let job = job(id, owner: owner) else { return false }
        job.task?.cancel()
        jobs[id] = nil
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(id))
        return true
    }

    /// Waits for a job to end (tests and shutdown).
    public func wait(_ id: String) async {
        await jobs[id]?.task?.value
    }
}
