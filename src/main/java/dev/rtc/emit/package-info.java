/**
 * One emitter per artifact, each a pure function of the plan, into the in-memory {@link Bundle};
 * nothing here touches the disk ({@code dev.rtc.bundle} writes it). The XML prefix {@code rtc} names rtc's namespace in a domain's metadata.
 */
@XmlSchema(xmlns = @XmlNs(prefix = "rtc", namespaceURI = Domain.RTC_NS))
package dev.rtc.emit;

import jakarta.xml.bind.annotation.XmlNs;
import jakarta.xml.bind.annotation.XmlSchema;
