/**
 * One emitter per artifact, each a pure function of the plan, and the bundle writer, the only code
 * that touches the disk. The XML prefix {@code rtc} names rtc's namespace in a domain's metadata.
 */
@XmlSchema(xmlns = @XmlNs(prefix = "rtc", namespaceURI = Domain.RTC_NS))
package dev.rtc.emit;

import jakarta.xml.bind.annotation.XmlNs;
import jakarta.xml.bind.annotation.XmlSchema;
