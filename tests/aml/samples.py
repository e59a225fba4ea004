"""Small list files in the published layouts, written by the tests (no downloads)."""

from __future__ import annotations

import json

OFAC_XML = b"""<?xml version="1.0" standalone="yes"?>
<sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>01/15/2025</Publish_Date><Record_Count>2</Record_Count></publshInformation>
  <sdnEntry>
    <uid>36</uid><lastName>AEROCARIBBEAN AIRLINES</lastName><sdnType>Entity</sdnType>
    <programList><program>CUBA</program></programList>
  </sdnEntry>
  <sdnEntry>
    <uid>7390</uid><firstName>Ali Hassan</firstName><lastName>AL-MAJID</lastName><sdnType>Individual</sdnType>
    <programList><program>IRAQ2</program></programList>
    <akaList>
      <aka><uid>5001</uid><type>a.k.a.</type><category>strong</category><lastName>CHEMICAL ALI</lastName></aka>
      <aka><uid>5002</uid><type>a.k.a.</type><category>weak</category><firstName>Ali Hasan</firstName><lastName>AL-MAJEED</lastName></aka>
    </akaList>
    <addressList><address><uid>6001</uid><city>Baghdad</city><country>Iraq</country></address></addressList>
    <nationalityList><nationality><uid>7001</uid><country>Iraq</country><mainEntry>true</mainEntry></nationality></nationalityList>
    <dateOfBirthList><dateOfBirthItem><uid>8001</uid><dateOfBirth>1941</dateOfBirth><mainEntry>true</mainEntry></dateOfBirthItem></dateOfBirthList>
  </sdnEntry>
</sdnList>
"""

OFAC_SDN_CSV = (
    b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    b'7390,"AL-MAJID, Ali Hassan","individual","IRAQ2",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
    b'"DOB 1941; POB al-Awja, near Tikrit, Iraq; nationality Iraq."\r\n'
    b"\x1a\r\n"
)
OFAC_ALT_CSV = b'7390,5001,"aka","CHEMICAL ALI",-0- \r\n7390,5002,"aka","AL-MAJEED, Ali Hasan",-0- \r\n'

UN_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" dateGenerated="2025-01-15T00:00:00">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>6908555</DATAID><VERSIONNUM>1</VERSIONNUM>
      <FIRST_NAME>RI</FIRST_NAME><SECOND_NAME>WON HO</SECOND_NAME><THIRD_NAME/>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.033</REFERENCE_NUMBER>
      <LISTED_ON>2016-11-30</LISTED_ON>
      <NATIONALITY><VALUE>Democratic People's Republic of Korea</VALUE></NATIONALITY>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Ri Won-ho</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ADDRESS><CITY>Pyongyang</CITY><COUNTRY>Democratic People's Republic of Korea</COUNTRY></INDIVIDUAL_ADDRESS>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1964-07-17</DATE></INDIVIDUAL_DATE_OF_BIRTH>
    </INDIVIDUAL>
    <INDIVIDUAL>
      <DATAID>110</DATAID><FIRST_NAME>ABDUL</FIRST_NAME><SECOND_NAME>BAQI</SECOND_NAME>
      <REFERENCE_NUMBER>TAi.001</REFERENCE_NUMBER><LISTED_ON>2001-01-31</LISTED_ON>
      <NATIONALITY><VALUE>Afghanistan</VALUE></NATIONALITY>
      <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><FROM_YEAR>1962</FROM_YEAR><TO_YEAR>1963</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES/>
</CONSOLIDATED_LIST>
"""


def opensanctions_lines() -> bytes:
    people = [
        {
            "id": "Q7747",
            "schema": "Person",
            "properties": {
                "name": ["Vladimir Vladimirovich Putin"],
                "alias": ["Владимир Владимирович Путин"],
                "birthDate": ["1952-10-07"],
                "nationality": ["ru"],
                "position": ["President of the Russian Federation"],
                "topics": ["role.pep", "sanction"],
                "sourceUrl": ["https://example.org/putin"],
            },
            "first_seen": "2022-02-25T00:00:00",
        },
        {
            "id": "NK-abc",
            "schema": "Person",
            "properties": {"name": ["Amina Bello"], "country": ["ng"], "topics": ["role.pep"]},
        },
        {"id": "co-1", "schema": "Company", "properties": {"name": ["Acme Ltd"], "topics": ["sanction"]}},
        {"id": "p-none", "schema": "Person", "properties": {"name": ["Nobody Special"]}},
    ]
    return "\n".join(json.dumps(person, ensure_ascii=False) for person in people).encode("utf-8") + b"\n"
