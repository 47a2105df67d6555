import Foundation

/// The owner of a `posix_spawn_file_actions_t`: the child's standard streams, no descriptor above 2, and its working
/// directory, applied in the child in that order between `fork` and `exec`.
final class SpawnFileActions {
    var actions = posix_spawn_file_actions_t()

    init(
        standardInput: ChildProcess.Stream, standardOutput: ChildProcess.Stream, standardError: ChildProcess.Stream,
        currentDirectory: String?
    ) throws {
        posix_spawn_file_actions_init(&actions)
        // Stdout before stderr, so that `.standardOutput` for stderr duplicates the stdout already in place.
        try add(standardInput, as: 0)
        try add(standardOutput, as: 1)
        try add(standardError, as: 2)
        try Self.check(Self.addCloseFrom(&actions, 3), "addclosefrom_np")
        if let currentDirectory {
            try Self.check(Self.addChangeDirectory(&actions, currentDirectory), "addchdir_np \(currentDirectory)")
        }
    }

    deinit {
        posix_spawn_file_actions_destroy(&actions)
    }

    private func add(_ stream: ChildProcess.Stream, as target: Int32) throws {
        let writing = O_WRONLY | O_CREAT | O_APPEND
        let result =
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, target == 0 ? O_RDONLY : writing, 0o644)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, target)
            }
        try Self.check(result, "the file action for descriptor \(target)")
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else {
            throw ChildProcessError("posix_spawn_file_actions: \(what) failed: \(String(cString: strerror(result)))")
        }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up with `dlsym` because the Glibc module does
    /// not import it.
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) throws -> Int32 {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw ChildProcessError("posix_spawn_file_actions_addclosefrom_np is missing (glibc older than 2.34?)")
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), looked up like ``addCloseFrom(_:_:)``.
    private static func addChangeDirectory(_ actions: inout posix_spawn_file_actions_t, _ path: String) throws -> Int32
    {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else {
            throw ChildProcessError("posix_spawn_file_actions_addchdir_np is missing (glibc older than 2.29?)")
        }
        return unsafeBitCast(symbol, to: AddChangeDirectory.self)(&actions, path)
    }
}

/// The owner of a `posix_spawnattr_t` that starts the child with no blocked signal and every signal at its default
/// disposition, whatever the test runner's threads block or ignore.
final class SpawnAttributes {
    var attributes = posix_spawnattr_t()

    init() {
        posix_spawnattr_init(&attributes)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // "POSIX_SPAWN_SETSIGDEF: the signals in sigdefault are set to their default actions in the child"
        // (posix_spawnattr_setsigdefault(3)): SIGTERM, SIGINT, SIGPIPE and the rest, should the runner ignore them.
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    deinit {
        posix_spawnattr_destroy(&attributes)
    }
}

/// A NUL-terminated array of C strings (`argv`, `envp`), freed with its owner.
final class CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit {
        pointers.forEach { free($0) }
    }
}
