import Hummingbird
import Logging
import NIOCore

/// Hummingbird's request context plus the client's address, which the audit trail and the login
/// throttle need.
public struct KangqiaoRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The address as the trail records it: IP without the port.
    public var sourceAddress: String {
        guard let remoteAddress else { return "unknown" }
        return remoteAddress.ipAddress ?? remoteAddress.description
    }
}
