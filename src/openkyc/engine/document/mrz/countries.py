"""The three-letter codes an MRZ may carry for an issuing state or a nationality (ICAO 9303-3 §5).

ISO 3166-1 alpha-3 codes, plus ICAO's own: ``D`` (Germany, written ``D<<``), the British
nationality codes, the UN and EU codes, stateless persons and refugees (``XXA``/``XXB``/``XXC``/
``XXX``), the Kosovo code and ``UTO`` (Utopia, the specimen state of ICAO's examples).
"""

from __future__ import annotations

_ISO_ALPHA3_TEXT = """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR
    BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG
    COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH
    FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
    HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM
    KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL
    MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR
    NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU
    SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA
    TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB
    VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
    """

_ICAO_SPECIAL_TEXT = """
    D GBD GBN GBO GBP GBS UNA UNK UNO XOM XPO XXA XXB XXC XXX EUE XBA XIM XCC XCE XCO XEC XES XMP
    RKS UTO
    """

# Kept as blocks of text: easier to read and check against the standard than 275 quoted strings.
ISO_ALPHA3 = frozenset(_ISO_ALPHA3_TEXT.split())
ICAO_SPECIAL = frozenset(_ICAO_SPECIAL_TEXT.split())

MRZ_COUNTRY_CODES = ISO_ALPHA3 | ICAO_SPECIAL


def is_country_code(field: str) -> bool:
    """Whether a three-character MRZ field (fillers included, e.g. ``D<<``) names a known state."""
    return field.replace("<", "") in MRZ_COUNTRY_CODES
