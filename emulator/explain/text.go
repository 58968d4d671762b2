package explain

import "github.com/tcpemu/tcpemu/emulator/tcp"

// ruleText holds each rule's explanation, [English, Korean]. Each says what
// the endpoint did and why TCP does it, in RFC 9293's terms, for a student
// reading the event under a ladder diagram. Where the seed notes err, RFC
// 9293 wins (DESIGN.md, "Seed errata"): TIME-WAIT is there for a lost final
// ACK and for old duplicates, the side receiving the first FIN enters
// CLOSE-WAIT, and ACK = SEG.SEQ + SEG.LEN with SYN and FIN counting one each.
// State and field names keep the RFC's spelling in both languages.
var ruleText = [tcp.NumRules][numLangs]string{
	// User calls, §3.10.1–§3.10.6.
	tcp.RuleOpenPassive: {
		"The user made a passive OPEN: the endpoint entered LISTEN and now waits for a SYN from any remote socket, sending nothing. A server has to be listening like this before any client can connect to it.",
		"사용자가 수동 OPEN(passive OPEN)을 호출해 엔드포인트가 LISTEN 상태가 되었습니다. 아무 세그먼트도 보내지 않고 어느 원격 소켓에서든 SYN이 오기를 기다립니다. 클라이언트가 연결하려면 서버가 먼저 이렇게 대기하고 있어야 합니다.",
	},
	tcp.RuleOpenActive: {
		"The user made an active OPEN: TCP chose an initial send sequence number (ISS), sent <SEQ=ISS><CTL=SYN>, set SND.UNA = ISS and SND.NXT = ISS+1 (the SYN occupies one sequence number), and entered SYN-SENT to wait for the peer's SYN,ACK. This is the first segment of the three-way handshake: it tells the peer where our sequence numbers start.",
		"사용자가 능동 OPEN(active OPEN)을 호출했습니다. TCP는 초기 송신 시퀀스 번호(ISS)를 정해 <SEQ=ISS><CTL=SYN>을 보내고, SYN이 시퀀스 번호 하나를 차지하므로 SND.UNA = ISS, SND.NXT = ISS+1로 둔 뒤 SYN-SENT 상태에서 상대의 SYN,ACK를 기다립니다. 3-way handshake의 첫 번째 세그먼트로, 내 시퀀스 번호가 어디서 시작하는지 상대에게 알려 줍니다.",
	},
	tcp.RuleOpenListenToActive: {
		"The user made an active OPEN, naming a remote socket, on an endpoint in LISTEN. RFC 9293 lets such a connection switch from passive to active: TCP chose an ISS, sent a SYN and entered SYN-SENT, just as an active OPEN from CLOSED does; connections the listener had not yet handed to the user are reset.",
		"LISTEN 상태의 엔드포인트에서 원격 소켓을 지정해 능동 OPEN을 호출했습니다. RFC 9293은 이때 연결을 수동에서 능동으로 바꾸도록 허용하므로, TCP는 CLOSED에서 능동 OPEN을 한 것과 똑같이 ISS를 정해 SYN을 보내고 SYN-SENT 상태가 되며, 리스너가 아직 사용자에게 넘기지 않은 연결은 리셋합니다.",
	},
	tcp.RuleSendQueued: {
		"The user called SEND before the connection was established (SYN-SENT or SYN-RECEIVED), so the data was queued, not sent. Until both sides' sequence numbers are synchronized the peer could not place the data in its stream, so it goes out once the handshake is complete and the state is ESTABLISHED.",
		"연결이 수립되기 전(SYN-SENT 또는 SYN-RECEIVED)에 SEND를 호출해서, 데이터를 바로 보내지 않고 큐에 넣어 두었습니다. 양쪽 시퀀스 번호가 동기화되기 전에는 상대가 이 데이터를 스트림의 어디에 놓아야 할지 알 수 없으므로, 핸드셰이크가 끝나 ESTABLISHED가 된 뒤에 보냅니다.",
	},
	tcp.RuleSendSegmentize: {
		"Queued data was cut into segments and sent: each starts at SEQ = SND.NXT, holds at most one MSS and no more than the send window allows (SND.UNA + SND.WND − SND.NXT), and SND.NXT then advances by its length. Every data segment also carries ACK = RCV.NXT, acknowledging what we have received, and after a CLOSE the FIN may ride on the last one.",
		"큐에 있던 데이터를 세그먼트로 나누어 보냈습니다. 각 세그먼트는 SEQ = SND.NXT에서 시작하고, MSS를 넘지 않으며 송신 윈도우가 허락하는 만큼(SND.UNA + SND.WND − SND.NXT)만 담고, 보낸 뒤 SND.NXT는 그 길이만큼 늘어납니다. 모든 데이터 세그먼트에는 지금까지 받은 것을 확인하는 ACK = RCV.NXT도 실리며, CLOSE가 호출된 뒤라면 마지막 세그먼트에 FIN을 함께 실을 수 있습니다.",
	},
	tcp.RuleCloseListen: {
		"The user closed a listening endpoint. No connection exists yet, so TCP sent nothing, deleted the TCB and entered CLOSED; a SYN that arrives later finds no listener and is refused with a RST, as at any closed port.",
		"사용자가 LISTEN 중인 엔드포인트를 닫았습니다. 아직 연결이 없으므로 TCP는 아무것도 보내지 않고 TCB를 지운 뒤 CLOSED 상태가 됩니다. 이후 이 포트로 오는 SYN은 리스너를 찾지 못해, 다른 닫힌 포트와 마찬가지로 RST로 거절됩니다.",
	},
	tcp.RuleCloseSynSent: {
		"The user called CLOSE in SYN-SENT, while our SYN was still unanswered. RFC 9293 says to delete the TCB and enter CLOSED without sending a FIN or a RST: nothing has been synchronized yet, and if the peer's SYN,ACK comes later it meets a closed port and is answered with a RST.",
		"SYN에 대한 응답을 아직 받지 못한 SYN-SENT 상태에서 사용자가 CLOSE를 호출했습니다. RFC 9293에 따라 FIN이나 RST를 보내지 않고 TCB를 지운 뒤 CLOSED 상태가 됩니다. 아직 동기화된 것이 없으며, 나중에 상대의 SYN,ACK가 도착하면 닫힌 포트로서 RST로 응답하게 됩니다.",
	},
	tcp.RuleCloseQueued: {
		"The user called CLOSE in SYN-RECEIVED while data was still waiting to be sent, so the CLOSE was queued: once ESTABLISHED, the data goes first and the FIN follows it. A FIN marks the end of our byte stream, so it may never overtake data the user has already handed to TCP.",
		"SYN-RECEIVED 상태에서 보낼 데이터가 남아 있는데 CLOSE가 호출되어, CLOSE를 큐에 넣어 두었습니다. ESTABLISHED가 되면 데이터를 먼저 보내고 그 뒤에 FIN을 보냅니다. FIN은 내 바이트 스트림의 끝을 뜻하므로, 사용자가 이미 TCP에 맡긴 데이터보다 앞서 나갈 수 없습니다.",
	},
	tcp.RuleCloseSendFIN: {
		"The user called CLOSE: after all queued data TCP sends a FIN (<SEQ=SND.NXT><CTL=FIN,ACK>), meaning \"I have no more data to send\"; the FIN occupies one sequence number. The side that closes first goes from ESTABLISHED to FIN-WAIT-1, and the side that has already received the peer's FIN goes from CLOSE-WAIT to LAST-ACK. A FIN closes only our direction: until the peer sends its own FIN, we keep receiving its data.",
		"사용자가 CLOSE를 호출해서, TCP는 큐에 남은 데이터를 모두 보낸 뒤 \"더 보낼 데이터가 없다\"는 뜻의 FIN(<SEQ=SND.NXT><CTL=FIN,ACK>)을 보내며, FIN은 시퀀스 번호 하나를 차지합니다. 먼저 닫는 쪽은 ESTABLISHED에서 FIN-WAIT-1로, 이미 상대의 FIN을 받은 쪽은 CLOSE-WAIT에서 LAST-ACK로 갑니다. FIN은 내 쪽 방향만 닫으므로, 상대가 자기 FIN을 보내기 전까지는 상대의 데이터를 계속 받습니다.",
	},
	tcp.RuleCloseUnreadData: {
		"The user closed the connection while received data was still unread, so TCP sent a RST instead of a FIN and deleted the TCB (RFC 2525 §2.17, RFC 1122 §4.2.2.13). A normal FIN would let the peer believe its data had been consumed; the RST tells it the data was thrown away.",
		"받은 데이터를 아직 읽지 않은 상태에서 사용자가 CLOSE를 호출해, TCP는 FIN 대신 RST를 보내고 TCB를 지웠습니다(RFC 2525 §2.17, RFC 1122 §4.2.2.13). 평범한 FIN을 보내면 상대는 자기가 보낸 데이터가 처리된 줄 알겠지만, RST는 그 데이터가 버려졌음을 알려 줍니다.",
	},
	tcp.RuleAbortReset: {
		"The user called ABORT in a state the peer knows about: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 or CLOSE-WAIT. TCP sent <SEQ=SND.NXT><CTL=RST>, discarded all queued data and deleted the TCB; the RST makes the peer tear down its side at once instead of waiting for data or a FIN that will never come.",
		"상대도 알고 있는 상태(SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT)에서 사용자가 ABORT를 호출했습니다. TCP는 <SEQ=SND.NXT><CTL=RST>를 보내고 큐의 데이터를 모두 버린 뒤 TCB를 지웁니다. RST를 받은 상대는 오지 않을 데이터나 FIN을 기다리지 않고 즉시 자기 쪽 연결을 정리합니다.",
	},
	tcp.RuleAbortQuiet: {
		"The user called ABORT in LISTEN, SYN-SENT, CLOSING, LAST-ACK or TIME-WAIT, so TCP deleted the TCB and entered CLOSED without sending a RST. In LISTEN and SYN-SENT nothing is synchronized yet, and in the other states our FIN has already told the peer we are done, so RFC 9293 simply answers \"ok\".",
		"LISTEN, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT 상태에서 사용자가 ABORT를 호출해, TCP는 RST를 보내지 않고 TCB를 지운 뒤 CLOSED 상태가 되었습니다. LISTEN과 SYN-SENT에서는 아직 동기화된 것이 없고, 나머지 상태에서는 이미 내 FIN으로 종료를 알렸기 때문에 RFC 9293은 그냥 \"ok\"로 응답하라고 합니다.",
	},
	tcp.RuleListenerClosedChild: {
		"The listener this connection came from stopped listening (CLOSE, ABORT, or an active OPEN on it) before the user accepted the connection, so TCP reset it: it sent <SEQ=SND.NXT><CTL=RST> and deleted the TCB. A connection that was never handed to a user has nobody to read or write it, so the peer is told at once instead of being left waiting.",
		"사용자가 이 연결을 accept하기 전에 연결을 만든 리스너가 대기를 멈춰서(CLOSE, ABORT, 또는 리스너에서의 능동 OPEN), TCP가 이 연결을 리셋했습니다(<SEQ=SND.NXT><CTL=RST>를 보내고 TCB 삭제). 사용자에게 넘겨지지 않은 연결은 읽고 쓸 주체가 없으므로, 상대를 기다리게 두지 않고 바로 알려 줍니다.",
	},
	tcp.RuleReceiveWindowUpdate: {
		"The user read data and freed receive buffer space, so TCP sent an ACK advertising the larger window (the right edge RCV.NXT + RCV.WND moved right). To avoid silly window syndrome it announces the window only when it grows by at least min(buffer/2, MSS) (RFC 9293 §3.8.6.2.2); without such an update, a sender stopped by a small or zero window would never learn that it may send again.",
		"사용자가 데이터를 읽어 수신 버퍼에 공간이 생겨서, 늘어난 윈도우를 알리는 ACK를 보냈습니다(오른쪽 끝 RCV.NXT + RCV.WND가 오른쪽으로 이동). 어리석은 윈도우 증후군(SWS)을 피하기 위해 윈도우가 min(버퍼/2, MSS) 이상 커질 때만 알리며(RFC 9293 §3.8.6.2.2), 이런 갱신이 없으면 작은 윈도우나 0 윈도우 때문에 멈춘 송신자는 다시 보내도 된다는 사실을 알 수 없습니다.",
	},

	// SEGMENT ARRIVES in CLOSED and LISTEN, §3.10.7.1–§3.10.7.2.
	tcp.RuleClosedReset: {
		"A segment arrived where no connection exists (CLOSED, for example a closed port), so it was answered with a RST: <SEQ=SEG.ACK><CTL=RST> if the segment had an ACK, otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. The reset's numbers are taken from the offending segment so that its sender accepts the reset and stops; this is how a client learns \"connection refused\".",
		"연결이 존재하지 않는 곳(CLOSED, 예를 들어 닫힌 포트)에 세그먼트가 도착해 RST로 응답했습니다. 받은 세그먼트에 ACK가 있으면 <SEQ=SEG.ACK><CTL=RST>, 없으면 <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> 형태입니다. 상대가 이 RST를 받아들이도록 번호를 상대 세그먼트에서 가져오며, 클라이언트가 \"connection refused\"를 알게 되는 것이 바로 이 RST 덕분입니다.",
	},
	tcp.RuleClosedDiscardRST: {
		"A RST arrived where no connection exists, and it was silently discarded. TCP never answers a RST with a RST; otherwise two hosts could bounce resets back and forth forever.",
		"연결이 없는 곳에 RST가 도착해 조용히 버렸습니다. TCP는 RST에 RST로 응답하지 않는데, 그렇게 하면 두 호스트가 끝없이 RST를 주고받을 수 있기 때문입니다.",
	},
	tcp.RuleListenRSTIgnored: {
		"A RST arrived at a listener and was ignored. A listener has no connection for the reset to end, and it must keep listening for other clients.",
		"LISTEN 상태의 리스너에 RST가 도착해 무시했습니다. 리스너에는 RST로 끊을 연결이 없고, 다른 클라이언트를 위해 계속 대기해야 하기 때문입니다.",
	},
	tcp.RuleListenACKReset: {
		"A segment carrying an ACK arrived at a listener. Nothing can be acknowledged before a connection exists, so the ACK belongs to an old or foreign connection; TCP answered <SEQ=SEG.ACK><CTL=RST> and stayed in LISTEN.",
		"ACK가 켜진 세그먼트가 LISTEN 상태의 리스너에 도착했습니다. 연결이 생기기 전에는 확인 응답할 것이 없으므로 이 ACK는 예전 연결이나 다른 연결의 것이고, TCP는 <SEQ=SEG.ACK><CTL=RST>로 응답한 뒤 LISTEN 상태를 유지합니다.",
	},
	tcp.RuleListenSYN: {
		"A SYN arrived at the listener, which created a new connection for it (LISTEN → SYN-RECEIVED): IRS = SEG.SEQ and RCV.NXT = SEG.SEQ+1, because the SYN counts as one; it chose its own ISS and sent <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. That one segment both acknowledges the client's SYN and carries the server's own SYN, which is why the handshake takes three segments instead of four; the listener itself stays in LISTEN.",
		"리스너에 SYN이 도착해 이를 받을 새 연결을 만들었습니다(LISTEN → SYN-RECEIVED). SYN도 1로 세므로 IRS = SEG.SEQ, RCV.NXT = SEG.SEQ+1로 두고, 자기 ISS를 정해 <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>를 보냅니다. 이 세그먼트 하나가 클라이언트의 SYN을 확인하면서 서버 자신의 SYN도 함께 보내기 때문에 핸드셰이크가 4번이 아닌 3번으로 끝나며, 리스너 자신은 계속 LISTEN 상태로 남습니다.",
	},
	tcp.RuleListenBacklogFull: {
		"A SYN arrived, but the listener's backlog of connections not yet accepted is full, so the SYN was dropped without a reply. The client retransmits its SYN after its RTO, and by then the application may have accepted a connection and made room.",
		"SYN이 도착했지만 아직 accept되지 않은 연결을 담는 리스너의 backlog가 가득 차서, 응답 없이 SYN을 버렸습니다. 클라이언트는 RTO가 지나면 SYN을 재전송하고, 그사이 애플리케이션이 연결을 accept하면 자리가 생깁니다.",
	},
	tcp.RuleListenOtherDropped: {
		"A segment with none of SYN, ACK or RST arrived at a listener and was dropped. Only a SYN can start a connection, and any proper segment other than a SYN carries an ACK and would have been reset in the step before, so RFC 9293 says to drop this one and return.",
		"SYN, ACK, RST가 모두 없는 세그먼트가 리스너에 도착해 버렸습니다. 연결을 시작할 수 있는 것은 SYN뿐이고, SYN이 아닌 정상 세그먼트라면 ACK가 있어서 앞 단계에서 RST로 처리되었을 것이므로, RFC 9293은 이런 세그먼트를 그냥 버리라고 합니다.",
	},

	// SEGMENT ARRIVES in SYN-SENT, §3.10.7.3.
	tcp.RuleSynSentBadACK: {
		"In SYN-SENT a segment arrived whose ACK does not acknowledge our SYN (SEG.ACK =< ISS or SEG.ACK > SND.NXT), so it was discarded. It belongs to some older connection, not to this handshake; unless it was itself a RST, a RST was sent back for it.",
		"SYN-SENT 상태에서 받은 세그먼트의 ACK가 내 SYN을 확인하지 않아(SEG.ACK =< ISS 또는 SEG.ACK > SND.NXT) 버렸습니다. 이 세그먼트는 지금의 핸드셰이크가 아니라 예전 연결의 것이며, 그 자체가 RST가 아니라면 RST를 돌려보냅니다.",
	},
	tcp.RuleSynSentBadACKRST: {
		"In SYN-SENT a segment acknowledged something we never sent (SEG.ACK =< ISS or SEG.ACK > SND.NXT), so TCP answered <SEQ=SEG.ACK><CTL=RST>. The reset clears a half-open connection left over on the other side (for example from before a crash), so that our handshake can succeed when we retransmit the SYN.",
		"SYN-SENT 상태에서 받은 세그먼트가 내가 보낸 적 없는 번호를 확인 응답해서(SEG.ACK =< ISS 또는 SEG.ACK > SND.NXT), <SEQ=SEG.ACK><CTL=RST>로 응답했습니다. 이 RST는 상대 쪽에 남아 있던 반쯤 열린(half-open) 예전 연결(예: 재부팅 전의 연결)을 정리해, 내가 SYN을 재전송하면 핸드셰이크가 성공할 수 있게 합니다.",
	},
	tcp.RuleSynSentRST: {
		"In SYN-SENT a RST arrived whose ACK acknowledges our SYN, so the peer refused the connection: TCP signalled \"connection reset\" to the user, deleted the TCB and entered CLOSED. This is what connecting to a port where nothing listens looks like.",
		"SYN-SENT 상태에서 ACK로 내 SYN을 확인하는 RST가 도착했습니다. 상대가 연결을 거부한 것이므로 사용자에게 \"connection reset\"을 알리고 TCB를 지운 뒤 CLOSED 상태가 됩니다. 아무도 LISTEN하지 않는 포트에 연결하면 바로 이렇게 됩니다.",
	},
	tcp.RuleSynSentRSTIgnored: {
		"In SYN-SENT a RST without an ACK arrived and was dropped. Only a RST whose ACK acknowledges our SYN proves that it answers this connection attempt; any other could be an old or forged segment.",
		"SYN-SENT 상태에서 ACK 없는 RST가 도착해 버렸습니다. ACK로 내 SYN을 확인하는 RST만이 이번 연결 시도에 대한 응답임을 증명할 수 있고, 그렇지 않은 RST는 오래되었거나 위조된 세그먼트일 수 있기 때문입니다.",
	},
	tcp.RuleSynSentSynAck: {
		"The peer's SYN,ACK arrived in SYN-SENT and its ACK covers our SYN (SND.UNA < SEG.ACK =< SND.NXT): TCP set IRS = SEG.SEQ, RCV.NXT = SEG.SEQ+1 and SND.UNA = SEG.ACK, entered ESTABLISHED and sent <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. That ACK is the third segment of the handshake: it tells the server its SYN arrived, and it may already carry data.",
		"SYN-SENT 상태에서 상대의 SYN,ACK가 도착했고, 그 ACK가 내 SYN을 확인합니다(SND.UNA < SEG.ACK =< SND.NXT). TCP는 IRS = SEG.SEQ, RCV.NXT = SEG.SEQ+1, SND.UNA = SEG.ACK로 두고 ESTABLISHED 상태가 되어 <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>를 보냅니다. 이 ACK가 핸드셰이크의 세 번째 세그먼트로, 서버에게 SYN이 잘 도착했음을 알리며 데이터를 함께 실을 수도 있습니다.",
	},
	tcp.RuleSynSentSimultaneousOpen: {
		"In SYN-SENT a SYN without an ACK arrived: both sides opened at the same moment (simultaneous open). TCP set IRS = SEG.SEQ and RCV.NXT = SEG.SEQ+1, entered SYN-RECEIVED and sent <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, repeating its own ISS; once the peer acknowledges our SYN the connection is ESTABLISHED, so the two opens make one connection, not two.",
		"SYN-SENT 상태에서 ACK 없는 SYN이 도착했습니다. 양쪽이 동시에 연결을 연 것(동시 열기, simultaneous open)입니다. TCP는 IRS = SEG.SEQ, RCV.NXT = SEG.SEQ+1로 두고 SYN-RECEIVED 상태가 되어 자기 ISS를 그대로 쓴 <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>를 보내며, 상대가 내 SYN을 확인하면 ESTABLISHED가 되므로 두 번의 OPEN으로 연결이 두 개가 아닌 하나 만들어집니다.",
	},
	tcp.RuleSynSentNoSYN: {
		"In SYN-SENT a segment arrived with neither SYN nor RST, so it was dropped. Until the peer's SYN tells us its initial sequence number, no data or FIN can be placed in its stream.",
		"SYN-SENT 상태에서 SYN도 RST도 없는 세그먼트가 도착해 버렸습니다. 상대의 SYN으로 초기 시퀀스 번호를 알기 전에는 데이터나 FIN을 상대 스트림의 어디에 놓을지 알 수 없기 때문입니다.",
	},

	// SEGMENT ARRIVES in synchronized states, §3.10.7.4.
	tcp.RuleUnacceptable: {
		"The segment failed the acceptability test of RFC 9293 Table 6: it lies outside the receive window RCV.NXT … RCV.NXT+RCV.WND−1, usually an old duplicate of something already received. TCP discarded it and sent <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, so that the sender learns what we actually expect next.",
		"세그먼트가 RFC 9293 표 6의 수용 가능성 검사를 통과하지 못했습니다. 수신 윈도우 RCV.NXT … RCV.NXT+RCV.WND−1 밖에 있는 것으로, 대개 이미 받은 세그먼트의 오래된 중복입니다. TCP는 이를 버리고 <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>를 보내, 상대가 내가 다음에 기대하는 번호를 알 수 있게 합니다.",
	},
	tcp.RuleUnacceptableRateLimited: {
		"An unacceptable segment without data arrived soon after the last one this endpoint answered, so it was dropped without the usual ACK. Linux answers such segments at most once per tcp_invalid_ratelimit (500 ms): two ends that each find the other's ACKs unacceptable would otherwise ACK each other forever.",
		"데이터 없는 받아들일 수 없는 세그먼트가 직전에 응답한 것에 이어 곧바로 도착해, 평소처럼 ACK를 보내지 않고 버렸습니다. Linux는 이런 세그먼트에 tcp_invalid_ratelimit(500ms)마다 한 번만 응답합니다. 그렇지 않으면 서로의 ACK를 받아들일 수 없다고 보는 두 끝이 끝없이 ACK를 주고받게 됩니다.",
	},
	tcp.RuleUnacceptableRST: {
		"A RST arrived with a sequence number outside the receive window and was dropped silently. Only a reset that falls inside the window can be trusted to belong to this connection, so an old or blindly guessed RST must not end it (RFC 5961 §3.2), and a RST is never answered.",
		"수신 윈도우 밖의 시퀀스 번호를 가진 RST가 도착해 조용히 버렸습니다. 윈도우 안에 들어오는 RST만 이 연결의 것이라고 믿을 수 있으므로, 오래되었거나 번호를 무작정 추측한 RST가 연결을 끊게 해서는 안 되며(RFC 5961 §3.2), RST에는 응답하지 않습니다.",
	},
	tcp.RuleZeroWindowData: {
		"Our receive window is zero (RCV.WND = 0), so the segment's data and FIN could not be accepted, but its ACK, URG and RST were still processed, as RFC 9293 requires. An ACK goes back advertising the zero window, so the sender waits and probes until we have room again.",
		"수신 윈도우가 0(RCV.WND = 0)이어서 세그먼트의 데이터와 FIN은 받을 수 없었지만, RFC 9293의 요구대로 ACK, URG, RST는 처리했습니다. 윈도우 0을 알리는 ACK를 돌려보내, 상대가 공간이 생길 때까지 기다리며 윈도우 프로브를 보내도록 합니다.",
	},
	tcp.RuleOutOfOrderHeld: {
		"The segment starts beyond RCV.NXT: an earlier segment is missing (lost or delayed), so this data was held for later instead of delivered, and RCV.NXT did not move. TCP at once sent a duplicate ACK with ACK = RCV.NXT, which tells the sender where the gap begins; when the gap is filled, the held data is delivered in order.",
		"세그먼트가 RCV.NXT보다 뒤에서 시작합니다. 앞선 세그먼트가 손실되었거나 늦게 오고 있으므로, 이 데이터는 바로 전달하지 않고 보관해 두며 RCV.NXT도 그대로입니다. TCP는 즉시 ACK = RCV.NXT인 중복 ACK를 보내 빈 곳이 어디서 시작하는지 알려 주고, 빈 곳이 채워지면 보관한 데이터를 순서대로 전달합니다.",
	},
	tcp.RuleRSTChallenge: {
		"A RST arrived inside the receive window but not exactly at RCV.NXT, so instead of closing the connection TCP sent a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and dropped the RST (RFC 5961 §3.2). A peer that really reset the connection answers with a RST at exactly RCV.NXT, which an attacker guessing sequence numbers blindly cannot do.",
		"수신 윈도우 안이지만 정확히 RCV.NXT는 아닌 RST가 도착해서, 연결을 끊는 대신 챌린지 ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>를 보내고 RST는 버렸습니다(RFC 5961 §3.2). 정말로 연결을 리셋한 상대라면 정확히 RCV.NXT에 맞춘 RST로 다시 답하겠지만, 시퀀스 번호를 무작정 추측하는 공격자는 그렇게 할 수 없습니다.",
	},
	tcp.RuleRSTSynReceivedPassive: {
		"A valid RST arrived in SYN-RECEIVED on a connection that came from LISTEN (a passive OPEN), so this half-open connection was returned to LISTEN and deleted, without telling the user; the listener keeps listening. The client gave up or its SYN was an old duplicate, and one failed attempt must not stop the server from accepting others.",
		"수동 OPEN(LISTEN)에서 만들어진 연결이 SYN-RECEIVED 상태일 때 올바른 RST가 도착해, 이 반쯤 열린 연결을 LISTEN으로 되돌려 정리했고 사용자에게는 알리지 않습니다. 리스너는 계속 대기합니다. 클라이언트가 포기했거나 SYN이 오래된 중복이었을 뿐이므로, 한 번의 실패한 시도 때문에 서버가 다른 연결을 받지 못해서는 안 됩니다.",
	},
	tcp.RuleRSTSynReceivedActive: {
		"A valid RST arrived in SYN-RECEIVED on a connection that began with an active OPEN (a simultaneous open from SYN-SENT): the peer refused it, so TCP signalled \"connection refused\", deleted the TCB and entered CLOSED. RFC 9293 (MUST-11) has TCP remember where SYN-RECEIVED came from precisely to make this distinction.",
		"능동 OPEN으로 시작한 연결(SYN-SENT에서 동시 열기로 온 경우)이 SYN-RECEIVED 상태일 때 올바른 RST가 도착했습니다. 상대가 연결을 거부한 것이므로 \"connection refused\"를 알리고 TCB를 지운 뒤 CLOSED 상태가 됩니다. RFC 9293(MUST-11)이 SYN-RECEIVED에 어디서 왔는지 기억하라고 하는 이유가 바로 이 구분 때문입니다.",
	},
	tcp.RuleRSTReset: {
		"A valid RST arrived in ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 or CLOSE-WAIT: the peer aborted the connection. TCP signalled \"connection reset\" to the user, flushed all queues, deleted the TCB and entered CLOSED; unlike a FIN, a RST ends both directions at once, and data still in flight is lost.",
		"ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT 상태에서 올바른 RST가 도착했습니다. 상대가 연결을 강제로 끊은 것이므로 사용자에게 \"connection reset\"을 알리고 모든 큐를 비운 뒤 TCB를 지우고 CLOSED 상태가 됩니다. FIN과 달리 RST는 양방향을 한꺼번에 끝내며, 아직 오가던 데이터는 사라집니다.",
	},
	tcp.RuleRSTClose: {
		"A valid RST arrived in CLOSING, LAST-ACK or TIME-WAIT, so TCP deleted the TCB and entered CLOSED. Both sides have already sent their FIN, so there is nothing left to tell the user; in TIME-WAIT this early end is what RFC 1337 calls \"TIME-WAIT assassination\", which a profile can choose to ignore.",
		"CLOSING, LAST-ACK, TIME-WAIT 상태에서 올바른 RST가 도착해 TCB를 지우고 CLOSED 상태가 되었습니다. 양쪽 모두 이미 FIN을 보냈으므로 사용자에게 따로 알릴 것은 없습니다. TIME-WAIT가 이렇게 일찍 끝나는 것을 RFC 1337은 \"TIME-WAIT assassination\"이라 부르며, 프로파일 설정으로 이런 RST를 무시하게 할 수 있습니다.",
	},
	tcp.RuleRSTTimeWaitIgnored: {
		"A RST arrived in TIME-WAIT and was ignored (RFC 1337). If an old RST could end TIME-WAIT early (\"TIME-WAIT assassination\"), old duplicate segments could survive into a new connection on the same address pair; ignoring it keeps TIME-WAIT for its full 2×MSL.",
		"TIME-WAIT 상태에서 RST가 도착했지만 무시했습니다(RFC 1337). 오래된 RST가 TIME-WAIT를 일찍 끝내 버리면(\"TIME-WAIT assassination\") 같은 주소 쌍으로 만든 새 연결에 오래된 중복 세그먼트가 섞여 들어갈 수 있으므로, RST를 무시하고 2×MSL을 끝까지 기다립니다.",
	},
	tcp.RuleSYNSynReceivedPassive: {
		"A new SYN (not a retransmission of the one we hold) arrived in SYN-RECEIVED on a connection that came from LISTEN, so this half-open connection was returned to LISTEN and deleted; the listener keeps listening. The peer has evidently started its connection attempt over with a different initial sequence number, so the old half-open state is of no use.",
		"LISTEN에서 만들어진 연결이 SYN-RECEIVED 상태일 때 (이미 받은 SYN의 재전송이 아닌) 새 SYN이 도착해, 이 반쯤 열린 연결을 LISTEN으로 되돌려 정리했습니다. 리스너는 계속 대기합니다. 상대가 다른 초기 시퀀스 번호로 연결 시도를 새로 시작한 것으로 보이므로, 예전의 반쯤 열린 상태는 더 이상 쓸모가 없습니다.",
	},
	tcp.RuleSYNChallenge: {
		"A SYN arrived on a synchronized connection. Following RFC 5961 §4.2 (adopted by RFC 9293), TCP did not reset the connection: it sent a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and dropped the SYN. If the peer really restarted, it answers that ACK with a RST that closes the old connection, while a blind attacker's SYN achieves nothing.",
		"이미 동기화된 연결에 SYN이 도착했습니다. RFC 5961 §4.2(RFC 9293에도 반영됨)에 따라 연결을 리셋하지 않고, 챌린지 ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>를 보낸 뒤 SYN을 버렸습니다. 상대가 정말로 재시작했다면 이 ACK에 RST로 답해 예전 연결을 정리하고, 무작정 SYN을 보낸 공격자는 아무것도 얻지 못합니다.",
	},
	tcp.RuleSYNInWindowReset: {
		"A SYN arrived inside the receive window of a synchronized connection. Under the original rule (RFC 793 §3.9, kept in RFC 9293 for stacks without RFC 5961) this is an error: TCP sent a RST, signalled \"connection reset\" to the user, deleted the TCB and entered CLOSED. A new SYN means the peer no longer has the connection we think we share.",
		"동기화된 연결의 수신 윈도우 안에 SYN이 도착했습니다. 원래 규칙(RFC 793 §3.9, RFC 5961을 쓰지 않는 구현을 위해 RFC 9293에도 남아 있음)에서는 이것이 오류이므로, RST를 보내고 사용자에게 \"connection reset\"을 알린 뒤 TCB를 지우고 CLOSED 상태가 됩니다. 새 SYN이 왔다는 것은 상대가 우리와 공유한다고 생각한 연결을 더 이상 갖고 있지 않다는 뜻입니다.",
	},
	tcp.RuleSYNTimeWaitReopen: {
		"A new SYN (without ACK) whose sequence number is above RCV.NXT arrived in TIME-WAIT, so TIME-WAIT ended early and the SYN was handed to the listener as a new connection, whose ISS is chosen above anything the old connection used (RFC 6191, RFC 1122 §4.2.2.13). Because both sides' new sequence numbers start above the old ones, old duplicates of the previous connection cannot be mistaken for new data.",
		"TIME-WAIT 상태에서 RCV.NXT보다 큰 시퀀스 번호를 가진 새 SYN(ACK 없음)이 도착해, TIME-WAIT를 일찍 끝내고 SYN을 리스너에 새 연결로 넘겼습니다. 새 연결의 ISS는 예전 연결이 쓴 어떤 번호보다도 크게 정합니다(RFC 6191, RFC 1122 §4.2.2.13). 양쪽의 새 시퀀스 번호가 모두 예전 번호보다 크므로, 이전 연결의 오래된 중복 세그먼트를 새 데이터로 착각할 일이 없습니다.",
	},
	tcp.RuleACKOff: {
		"The segment passed the sequence number check but has no ACK bit, so it was dropped. Once a connection is synchronized every segment must carry an ACK; RFC 9293 says \"if the ACK bit is off, drop the segment and return\".",
		"세그먼트가 시퀀스 번호 검사는 통과했지만 ACK 비트가 없어서 버렸습니다. 연결이 동기화된 뒤에는 모든 세그먼트에 ACK가 있어야 하며, RFC 9293은 \"ACK 비트가 꺼져 있으면 세그먼트를 버리고 돌아가라\"고 합니다.",
	},
	tcp.RuleACKChallenge: {
		"The segment's ACK is outside the range RFC 5961 §5.2 accepts, (SND.UNA − MAX.SND.WND) =< SEG.ACK =< SND.NXT, so TCP sent a challenge ACK and dropped the segment. This stops an attacker who guesses acknowledgment numbers from injecting data into the connection.",
		"세그먼트의 ACK가 RFC 5961 §5.2가 허용하는 범위 (SND.UNA − MAX.SND.WND) =< SEG.ACK =< SND.NXT를 벗어나서, 챌린지 ACK를 보내고 세그먼트를 버렸습니다. 확인 응답 번호를 추측해 연결에 데이터를 끼워 넣으려는 공격을 막기 위한 것입니다.",
	},
	tcp.RuleACKSynReceived: {
		"In SYN-RECEIVED an ACK arrived that covers our SYN,ACK (SND.UNA < SEG.ACK =< SND.NXT), completing the three-way handshake: TCP entered ESTABLISHED and set SND.WND = SEG.WND, SND.WL1 = SEG.SEQ, SND.WL2 = SEG.ACK. Both sides now know each other's initial sequence numbers, so data can flow both ways, and any data on this ACK is processed at once.",
		"SYN-RECEIVED 상태에서 내 SYN,ACK를 확인하는 ACK(SND.UNA < SEG.ACK =< SND.NXT)가 도착해 3-way handshake가 끝났습니다. TCP는 ESTABLISHED 상태가 되고 SND.WND = SEG.WND, SND.WL1 = SEG.SEQ, SND.WL2 = SEG.ACK로 둡니다. 이제 양쪽이 서로의 초기 시퀀스 번호를 알게 되어 양방향으로 데이터를 주고받을 수 있으며, 이 ACK에 실린 데이터도 바로 처리됩니다.",
	},
	tcp.RuleACKSynReceivedBad: {
		"In SYN-RECEIVED an ACK arrived that does not acknowledge our SYN,ACK, so TCP answered <SEQ=SEG.ACK><CTL=RST> and dropped the segment. The ACK refers to a connection we do not have, most likely an old one, and the reset tells its sender so.",
		"SYN-RECEIVED 상태에서 내 SYN,ACK를 확인하지 않는 ACK가 도착해, <SEQ=SEG.ACK><CTL=RST>로 응답하고 세그먼트를 버렸습니다. 이 ACK는 우리에게 없는 연결, 아마도 예전 연결을 가리키므로 RST로 보낸 쪽에 그 사실을 알려 줍니다.",
	},
	tcp.RuleACKDuplicate: {
		"The ACK acknowledges nothing new (SEG.ACK < SND.UNA), so it is a duplicate and was ignored, as RFC 9293 allows. It is an old ACK overtaken by a later one, so its window value may be stale and is not used either.",
		"ACK가 새로 확인하는 것이 없어(SEG.ACK < SND.UNA) 중복 ACK로 보고 무시했습니다. RFC 9293이 허용하는 처리입니다. 나중 ACK에 추월당한 오래된 ACK이므로, 그 안의 윈도우 값도 낡았을 수 있어 쓰지 않습니다.",
	},
	tcp.RuleACKUnsent: {
		"The ACK acknowledges data we have not sent yet (SEG.ACK > SND.NXT), so TCP sent an ACK with its real SND.NXT and RCV.NXT and dropped the segment. Such a segment is confused or forged, and the ACK shows a genuine peer where we really are.",
		"아직 보내지 않은 데이터를 확인 응답하는 ACK가 왔습니다(SEG.ACK > SND.NXT). TCP는 실제 SND.NXT와 RCV.NXT를 담은 ACK를 보내고 세그먼트를 버렸습니다. 이런 세그먼트는 잘못되었거나 위조된 것이며, 정상적인 상대라면 이 ACK를 보고 우리가 실제로 어디까지 왔는지 알게 됩니다.",
	},
	tcp.RuleACKFinWait1: {
		"In FIN-WAIT-1 an ACK covering our FIN arrived, so TCP entered FIN-WAIT-2. Our direction is now closed and acknowledged; the peer is in CLOSE-WAIT and may still send data, and we wait for its FIN.",
		"FIN-WAIT-1 상태에서 내 FIN을 확인하는 ACK가 도착해 FIN-WAIT-2 상태가 되었습니다. 내 쪽 방향은 닫혔고 상대도 이를 확인했습니다. 상대는 CLOSE-WAIT 상태에서 아직 데이터를 보낼 수 있으며, 우리는 상대의 FIN을 기다립니다.",
	},
	tcp.RuleACKClosing: {
		"In CLOSING (both sides sent a FIN at the same time) the ACK of our FIN arrived, so TCP entered TIME-WAIT and started the 2×MSL timer. Both FINs are now sent and acknowledged; TIME-WAIT remains so that, if our final ACK was lost, it can be sent again when the peer retransmits its FIN, and so that old duplicate segments die out before the same address pair is reused.",
		"CLOSING 상태(양쪽이 동시에 FIN을 보낸 경우)에서 내 FIN에 대한 ACK가 도착해, TIME-WAIT 상태로 들어가 2×MSL 타이머를 시작했습니다. 이제 두 FIN 모두 보내고 확인되었습니다. TIME-WAIT는 마지막 ACK가 손실되었을 때 상대가 재전송하는 FIN에 ACK를 다시 보내기 위해, 그리고 같은 주소 쌍을 다시 쓰기 전에 오래된 중복 세그먼트가 네트워크에서 사라지게 하기 위해 남아 있습니다.",
	},
	tcp.RuleACKLastAck: {
		"In LAST-ACK the ACK of our FIN arrived, so TCP deleted the TCB and entered CLOSED. This side received the first FIN, so it has no TIME-WAIT: waiting in TIME-WAIT is the job of the side that closed first.",
		"LAST-ACK 상태에서 내 FIN에 대한 ACK가 도착해 TCB를 지우고 CLOSED 상태가 되었습니다. 이쪽은 먼저 FIN을 받은 쪽이라 TIME-WAIT를 거치지 않으며, TIME-WAIT에서 기다리는 것은 먼저 닫은 쪽의 몫입니다.",
	},
	tcp.RuleACKTimeWaitIgnored: {
		"An acceptable segment without a FIN arrived in TIME-WAIT and was dropped without changing anything. In TIME-WAIT the only thing expected from the peer is a retransmission of its FIN; anything else is a stray from the finished connection, and in the rfc9293 profile only a retransmitted FIN restarts the 2×MSL timer.",
		"TIME-WAIT 상태에서 FIN이 없는 세그먼트가 도착했지만 아무것도 바꾸지 않고 버렸습니다. TIME-WAIT에서 상대에게 기대하는 것은 FIN의 재전송뿐이고 그 밖의 것은 끝난 연결에서 떠돌던 세그먼트이며, rfc9293 프로파일에서는 재전송된 FIN만 2×MSL 타이머를 다시 시작합니다.",
	},
	tcp.RuleTextAccepted: {
		"The segment's data began at RCV.NXT, so it was accepted in order into the receive buffer for the user, and RCV.NXT advanced past it. The acknowledgment sent back is ACK = RCV.NXT, the next octet expected, which for an in-order segment is SEG.SEQ + SEG.LEN — not simply SEQ+1.",
		"세그먼트의 데이터가 RCV.NXT에서 시작해 순서대로 받아들여 사용자를 위한 수신 버퍼에 넣었고, RCV.NXT는 그만큼 앞으로 나아갔습니다. 돌려보내는 확인 응답(ACK)은 다음에 기대하는 바이트인 ACK = RCV.NXT이며, 순서대로 온 세그먼트라면 SEG.SEQ + SEG.LEN이지 단순히 SEQ+1이 아닙니다.",
	},
	tcp.RuleTextIgnored: {
		"Data arrived after the peer's FIN had already been received (CLOSE-WAIT, CLOSING, LAST-ACK or TIME-WAIT), so it was ignored. A FIN marks the end of the peer's byte stream, and nothing can legitimately follow it.",
		"상대의 FIN을 이미 받은 뒤(CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT)에 데이터가 도착해 무시했습니다. FIN은 상대 바이트 스트림의 끝을 뜻하므로, 그 뒤에 정상적으로 올 수 있는 데이터는 없습니다.",
	},
	tcp.RuleFINCloseWait: {
		"The peer's FIN arrived in ESTABLISHED: TCP advanced RCV.NXT over it (the FIN counts as one, so ACK = SEG.SEQ + SEG.LEN includes it), acknowledged it, told the user \"connection closing\" and entered CLOSE-WAIT. The side that receives the first FIN enters CLOSE-WAIT, not TIME-WAIT, and may go on sending its remaining data until its user calls CLOSE.",
		"ESTABLISHED 상태에서 상대의 FIN이 도착했습니다. TCP는 RCV.NXT를 FIN 너머로 옮기고(FIN도 1로 세므로 ACK = SEG.SEQ + SEG.LEN에 포함됨) 확인 응답을 보낸 뒤, 사용자에게 \"connection closing\"을 알리고 CLOSE-WAIT 상태가 됩니다. 먼저 FIN을 받은 쪽은 TIME-WAIT가 아니라 CLOSE-WAIT로 가며, 사용자가 CLOSE를 호출할 때까지 남은 데이터를 계속 보낼 수 있습니다.",
	},
	tcp.RuleFINClosing: {
		"The peer's FIN arrived in FIN-WAIT-1 before our own FIN was acknowledged: both sides closed at the same time (simultaneous close). TCP acknowledged the FIN (RCV.NXT advanced by one) and entered CLOSING to wait for the ACK of its own FIN.",
		"내 FIN이 아직 확인되지 않은 FIN-WAIT-1 상태에서 상대의 FIN이 도착했습니다. 양쪽이 동시에 닫은 것(동시 종료, simultaneous close)입니다. TCP는 FIN을 확인 응답하고(RCV.NXT가 1 증가) 내 FIN에 대한 ACK를 기다리기 위해 CLOSING 상태가 됩니다.",
	},
	tcp.RuleFINTimeWait: {
		"The peer's FIN arrived after our own FIN had been acknowledged, so TCP sent the final ACK (RCV.NXT advanced by one for the FIN), entered TIME-WAIT and started the 2×MSL timer. TIME-WAIT exists so that, if this last ACK is lost and the peer retransmits its FIN, we are still here to send the ACK again, and so that old duplicate segments of this connection die out before the same address pair is reused.",
		"내 FIN이 확인된 뒤 상대의 FIN이 도착해, 마지막 ACK를 보내고(FIN 때문에 RCV.NXT가 1 증가) TIME-WAIT 상태로 들어가 2×MSL 타이머를 시작했습니다. TIME-WAIT가 있는 이유는 이 마지막 ACK가 손실되어 상대가 FIN을 재전송하면 ACK를 다시 보내기 위해서, 그리고 같은 주소 쌍을 다시 쓰기 전에 이 연결의 오래된 중복 세그먼트가 네트워크에서 모두 사라지게 하기 위해서입니다.",
	},
	tcp.RuleFINRemain: {
		"A FIN arrived in CLOSE-WAIT, CLOSING or LAST-ACK, where the peer's FIN had already been received, and RFC 9293 says to remain in the same state. TCP only acknowledges it (ACK = RCV.NXT) so the peer stops sending it; the peer's direction was already closed.",
		"상대의 FIN을 이미 받은 CLOSE-WAIT, CLOSING, LAST-ACK 상태에서 FIN이 또 도착했으며, RFC 9293에 따라 상태는 그대로 유지합니다. 상대가 더 보내지 않도록 확인 응답(ACK = RCV.NXT)만 보내며, 상대 방향은 이미 닫혀 있습니다.",
	},
	tcp.RuleFINTimeWaitRestart: {
		"A FIN was processed in TIME-WAIT: TCP stayed in TIME-WAIT, acknowledged it and restarted the 2×MSL timer (RFC 9293, eighth step). A FIN arriving now means the peer never got our final ACK because it was lost; restarting the timer keeps us here to acknowledge any further retransmission, and gives old duplicates time to die out.",
		"TIME-WAIT 상태에서 FIN을 처리해, TIME-WAIT를 유지한 채 확인 응답을 보내고 2×MSL 타이머를 다시 시작했습니다(RFC 9293 여덟 번째 단계). 지금 FIN이 온다는 것은 우리의 마지막 ACK가 손실되어 상대가 받지 못했다는 뜻이므로, 타이머를 다시 시작해 또 재전송이 오면 다시 ACK할 수 있게 하고 오래된 중복 세그먼트가 사라질 시간도 확보합니다.",
	},
	tcp.RuleTimeWaitRetransmittedFIN: {
		"The peer retransmitted its FIN while we were in TIME-WAIT, which means our final ACK was lost. TCP sent the ACK again (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>) and restarted the 2×MSL timer, which also gives old duplicates time to die out. This is exactly why the side that closes first waits in TIME-WAIT instead of going straight to CLOSED: otherwise the retransmitted FIN would find no connection and the peer would get a RST instead of a clean close.",
		"TIME-WAIT 상태에서 상대가 FIN을 재전송했는데, 이는 우리의 마지막 ACK가 손실되었다는 뜻입니다. TCP는 ACK(<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>)를 다시 보내고 2×MSL 타이머를 다시 시작하며, 그동안 오래된 중복 세그먼트도 사라집니다. 먼저 닫은 쪽이 곧장 CLOSED로 가지 않고 TIME-WAIT에서 기다리는 이유가 바로 이것으로, 그렇지 않으면 재전송된 FIN은 연결을 찾지 못해 상대는 깔끔한 종료 대신 RST를 받게 됩니다.",
	},
	tcp.RuleTimeWaitACKRestart: {
		"Linux behaviour (tcp_minisocks.c), used by the linux profile: a segment with an ACK arrived in TIME-WAIT (a bare ACK at RCV.NXT, or a segment outside the window, which is also answered with an ACK), so the TIME-WAIT timer was restarted. RFC 9293 restarts TIME-WAIT only for a retransmitted FIN; Linux restarts it for these too, so that TIME-WAIT lasts a full period after the last segment the peer sent.",
		"linux 프로파일에서 쓰는 Linux 동작(tcp_minisocks.c)입니다. TIME-WAIT 상태에서 ACK가 있는 세그먼트(RCV.NXT 위치의 순수 ACK, 또는 ACK로 응답하는 윈도우 밖 세그먼트)가 도착해 TIME-WAIT 타이머를 다시 시작했습니다. RFC 9293은 재전송된 FIN에만 TIME-WAIT를 다시 시작하지만, Linux는 이런 세그먼트에도 다시 시작해 상대가 마지막으로 보낸 세그먼트 이후로 TIME-WAIT 기간을 온전히 채웁니다.",
	},

	// Timeouts, §3.10.8 and RFC 6298.
	tcp.RuleRetransmit: {
		"The retransmission timer expired before the oldest unacknowledged segment (SYN, SYN,ACK, data or FIN) was acknowledged, so TCP sent it again from SND.UNA and backed the RTO off, usually doubling it (RFC 6298 §5.4–§5.6). A segment unacknowledged for a whole RTO is presumed lost, and the growing timer keeps TCP from flooding a congested network; the same rule resends a segment when a duplicate SYN or a partial ACK shows it was lost.",
		"가장 오래된 미확인 세그먼트(SYN, SYN,ACK, 데이터 또는 FIN)가 확인되기 전에 재전송 타이머가 만료되어, SND.UNA부터 다시 보내고 RTO를 늘렸습니다(보통 두 배, RFC 6298 §5.4–§5.6). RTO가 지나도록 확인 응답이 없으면 세그먼트가 손실되었다고 보며, 타이머를 점점 늘려 혼잡한 네트워크에 부담을 주지 않습니다. 중복 SYN이나 부분 ACK로 손실이 드러났을 때 세그먼트를 다시 보내는 것도 이 규칙입니다.",
	},
	tcp.RuleRetransmitGiveUp: {
		"The segment was retransmitted as many times as the profile allows (the R2 limit of RFC 9293 §3.8.3) without being acknowledged, so TCP gave up: it signalled \"connection timed out\" to the user, deleted the TCB and entered CLOSED. The peer or the path is presumed dead, and retrying forever would only tie up resources.",
		"프로파일이 허용하는 횟수(RFC 9293 §3.8.3의 R2 한계)만큼 재전송했는데도 확인 응답이 없어 TCP가 연결을 포기했습니다. 사용자에게 \"connection timed out\"을 알리고 TCB를 지운 뒤 CLOSED 상태가 됩니다. 상대나 경로가 죽었다고 보는 것이며, 끝없이 재시도하면 자원만 붙잡고 있게 되기 때문입니다.",
	},
	tcp.RuleTimeWaitExpired: {
		"The TIME-WAIT timer of 2×MSL expired (240 s in the rfc9293 profile, 60 s in the linux profile), so TCP deleted the TCB and entered CLOSED. By now a retransmitted FIN from the peer, sent because our final ACK was lost, would have arrived and been acknowledged again, and old duplicate segments of this connection have died out, so the same address pair can safely be used again.",
		"2×MSL의 TIME-WAIT 타이머가 만료되어(rfc9293 프로파일은 240초, linux 프로파일은 60초) TCB를 지우고 CLOSED 상태가 되었습니다. 마지막 ACK가 손실되어 상대가 FIN을 재전송했다면 이미 도착해 다시 ACK를 받았을 것이고, 이 연결의 오래된 중복 세그먼트도 네트워크에서 모두 사라졌으므로 같은 주소 쌍을 안전하게 다시 쓸 수 있습니다.",
	},
	tcp.RuleUserTimeout: {
		"Sent data stayed unacknowledged longer than the user timeout, so TCP aborted the connection: it flushed all queues, signalled \"connection aborted due to user timeout\", deleted the TCB and entered CLOSED (RFC 9293 §3.10.8). The user timeout lets an application bound how long it waits for a peer that has stopped answering.",
		"보낸 데이터가 사용자 타임아웃(user timeout)보다 오래 확인되지 않아 TCP가 연결을 중단했습니다. 모든 큐를 비우고 \"connection aborted due to user timeout\"을 알린 뒤 TCB를 지우고 CLOSED 상태가 됩니다(RFC 9293 §3.10.8). 사용자 타임아웃은 응답하지 않는 상대를 애플리케이션이 얼마나 기다릴지 정하는 장치입니다.",
	},
	tcp.RuleFinWait2Timeout: {
		"The connection stayed in FIN-WAIT-2 for the profile's limit (Linux's tcp_fin_timeout, 60 s) without the peer's FIN, so it was deleted silently and entered CLOSED. RFC 9293 would wait forever, since the peer may legitimately keep its direction open; Linux sets a limit so that a peer that vanished cannot hold the connection forever.",
		"FIN-WAIT-2 상태에서 프로파일의 제한 시간(Linux의 tcp_fin_timeout, 60초) 동안 상대의 FIN이 오지 않아, 연결을 조용히 지우고 CLOSED 상태가 되었습니다. 상대는 자기 방향을 계속 열어 둘 수 있으므로 RFC 9293은 끝없이 기다리지만, Linux는 사라진 상대가 연결을 영원히 붙잡지 못하도록 제한을 둡니다.",
	},
	tcp.RuleDelayedACK: {
		"The delayed-ACK timer expired, so TCP sent the acknowledgment it had been holding (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>). Delaying an ACK briefly (at most 0.5 s, RFC 9293 §3.8.6.3) lets it ride on outgoing data or cover a second segment, saving segments; nothing came along in time, so it went out alone.",
		"지연 ACK 타이머가 만료되어 미뤄 두었던 확인 응답(<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>)을 보냈습니다. ACK를 잠시(최대 0.5초, RFC 9293 §3.8.6.3) 미루면 나가는 데이터에 얹어 보내거나 다음 세그먼트까지 한 번에 확인할 수 있어 세그먼트 수를 줄일 수 있는데, 그동안 보낼 것이 없었으므로 ACK만 따로 보낸 것입니다.",
	},
	tcp.RulePersistProbe: {
		"The peer's window is zero (SND.WND = 0) while data waits to be sent, so when the persist timer fired TCP sent a zero-window probe: a segment with SEQ = SND.UNA−1, which the peer must answer with an ACK carrying its current window (RFC 9293 §3.8.6.1). Without probing, one lost window update would leave both sides waiting for each other forever.",
		"상대의 윈도우가 0(SND.WND = 0)인데 보낼 데이터가 남아 있어서, persist 타이머가 만료되자 제로 윈도우 프로브를 보냈습니다. SEQ = SND.UNA−1인 세그먼트로, 상대는 현재 윈도우를 담은 ACK로 답해야 합니다(RFC 9293 §3.8.6.1). 프로브가 없으면 윈도우 갱신 ACK 하나만 손실되어도 양쪽이 영원히 서로를 기다리게 됩니다.",
	},
}
